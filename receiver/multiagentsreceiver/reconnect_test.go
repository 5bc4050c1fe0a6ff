package multiagentsreceiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
)

func sagaJSON(tx, workflow, state, created, updated string, history string) string {
	return fmt.Sprintf(`{"transaction_id": "%s", "workflow_id": "%s", "state": "%s", "current_step": null, "data": {"amount": NaN}, "step_results": {}, "execution_history": [%s], "created_at": "%s", "updated_at": "%s", "error": null, "metadata": {}}`,
		tx, workflow, state, history, created, updated)
}

func historyEntry(step, status, started, completed, commandID string) string {
	return fmt.Sprintf(`{"step_name": "%s", "status": "%s", "started_at": "%s", "completed_at": "%s", "result": {}, "error": null, "command_id": "%s"}`,
		step, status, started, completed, commandID)
}

func naive(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }

func TestRedisKilledMidStreamReconnectsAndReconciles(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	h := startHarnessOn(t, testredis.Start(t), zap.New(core), true, func(h *harness) {
		// Slow retries leave time to restart Redis and write saga keys before the receiver is back.
		h.recv.reconnectInitial = 1500 * time.Millisecond
		h.recv.reconnectMax = 1500 * time.Millisecond
	})
	const (
		txLive   = "8d000000-0000-4000-8000-000000000001" // started live, finished during the gap
		txGap    = "8d000000-0000-4000-8000-000000000002" // ran entirely during the gap
		txOld    = "8d000000-0000-4000-8000-000000000003" // finished long before: not replayed
		cmdLive  = "c0000006-0000-4000-8000-000000000001"
		cmdGap   = "c0000006-0000-4000-8000-000000000002"
		workflow = "nightly_report"
	)
	now := time.Now()
	started := now.Add(-3 * time.Second)
	h.publish(ch+"status.workflow", statusEvent("s1", txLive, workflow, naive(started), "running", "Workflow started"))
	h.publish(ch+"command.render", commandEvent(cmdLive, txLive, workflow, "render", "render", naive(started.Add(100*time.Millisecond)), 60, `{}`))
	h.waitProcessed(2)

	h.redis.Stop()
	require.Eventually(t, func() bool {
		st := h.host.statuses()
		return len(st) > 0 && st[len(st)-1] == componentstatus.StatusRecoverableError
	}, 5*time.Second, 10*time.Millisecond, "the lost connection is reported")
	time.Sleep(100 * time.Millisecond)
	h.redis.Restart()
	// What the orchestrator wrote while the tap was down (Redis kept no data across the kill).
	_, err := h.redis.Do("SET", "saga:"+txLive, sagaJSON(txLive, workflow, "completed", naive(started), naive(now),
		historyEntry("render", "completed", naive(started.Add(100*time.Millisecond)), naive(now.Add(-time.Second)), cmdLive)))
	require.NoError(t, err)
	_, err = h.redis.Do("SET", "saga:"+txGap, sagaJSON(txGap, workflow, "failed", naive(now.Add(-2*time.Second)), naive(now),
		historyEntry("render", "failed", naive(now.Add(-2*time.Second)), naive(now.Add(-time.Second)), cmdGap)))
	require.NoError(t, err)
	_, err = h.redis.Do("SET", "saga:"+txOld, sagaJSON(txOld, workflow, "completed", naive(now.Add(-48*time.Hour)), naive(now.Add(-47*time.Hour)), ""))
	require.NoError(t, err)
	_, err = h.redis.Do("SET", "saga:garbage", `{"state": `)
	require.NoError(t, err)
	h.waitSubscribed()

	spans := h.waitSpans(4)
	require.Len(t, spans, 4, "two reconstructed workflows, each a root and one step; the old one is not replayed")
	roots := map[string]ptrace.Span{}
	for _, s := range spans {
		if s.ParentSpanID().IsEmpty() {
			roots[s.Attributes().AsRaw()["workflow.transaction_id"].(string)] = s
		}
	}
	require.Len(t, roots, 2)
	live := roots[txLive]
	assert.Equal(t, "workflow."+workflow, live.Name())
	assert.Equal(t, "completed", live.Attributes().AsRaw()["workflow.status"])
	assert.Equal(t, true, live.Attributes().AsRaw()["multiagents.reconstructed"])
	assert.Equal(t, ptrace.StatusCodeUnset, live.Status().Code())
	gap := roots[txGap]
	assert.Equal(t, "failed", gap.Attributes().AsRaw()["workflow.status"])
	assert.Equal(t, true, gap.Attributes().AsRaw()["multiagents.reconstructed"])
	assert.Equal(t, ptrace.StatusCodeError, gap.Status().Code())
	for _, s := range spans {
		if s.ParentSpanID().IsEmpty() {
			continue
		}
		assert.Equal(t, "worker.render", s.Name())
		if s.TraceID() == live.TraceID() {
			assert.Equal(t, spanIDFor(spanRoleStep, cmdLive), s.SpanID(), "the step seen live keeps its span id")
			assert.Equal(t, ptrace.StatusCodeUnset, s.Status().Code())
		} else {
			assert.Equal(t, gap.SpanID(), s.ParentSpanID())
			assert.Equal(t, ptrace.StatusCodeError, s.Status().Code())
		}
	}

	assert.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_redis_gaps", nil))
	assert.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_redis_reconnects", nil))
	assert.Greater(t, h.counterValue("otelcol_receiver_multiagents_redis_gap_duration", nil), 0.1)
	require.Eventually(t, func() bool {
		return h.counterValue("otelcol_receiver_multiagents_reconciled_transactions", nil) == 2
	}, 5*time.Second, 10*time.Millisecond)

	md := h.emitMetrics()
	assert.Equal(t, map[string]int64{
		"workflow.id=nightly_report,status=completed": 1,
		"workflow.id=nightly_report,status=failed":    1,
	}, sumValues(t, md, metricWorkflows))
	assert.Equal(t, map[string]int64{
		"worker.name=render,status=success": 1,
		"worker.name=render,status=error":   1,
	}, sumValues(t, md, metricWorkerExecutions))

	st := h.host.statuses()
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusOK, componentstatus.StatusRecoverableError, componentstatus.StatusOK}, st,
		"each state change reported once")
	assert.Equal(t, 1, logs.FilterMessageSnippet("Lost the Redis connection").Len())
	assert.Equal(t, 1, logs.FilterMessageSnippet("Reconnected to Redis").Len())
	gapLogs := logs.FilterMessageSnippet("Reconnected to Redis").All()
	require.Len(t, gapLogs, 1)
	assert.Contains(t, gapLogs[0].ContextMap(), "gap")

	// Live events flow again after the reconnect.
	h.publish(ch+"status.workflow", statusEvent("s9", "8d000000-0000-4000-8000-000000000009", workflow, naive(now), "completed", "Workflow completed"))
	h.waitSpans(5)
}

func TestStartsWithoutRedisAndLogsOnce(t *testing.T) {
	srv := testredis.Start(t)
	srv.Stop() // a port where nothing listens, until Restart
	core, logs := observer.New(zap.InfoLevel)
	h := startHarnessOn(t, srv, zap.New(core), false)

	// Many retries (50 ms doubling to 200 ms) happen within a second, but one warning and one status.
	time.Sleep(time.Second)
	assert.Equal(t, 1, logs.FilterMessageSnippet("retrying in the background").Len())
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError}, h.host.statuses())

	srv.Restart()
	h.waitSubscribed()
	require.Eventually(t, func() bool {
		st := h.host.statuses()
		return st[len(st)-1] == componentstatus.StatusOK
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 0.0, h.counterValue("otelcol_receiver_multiagents_redis_gaps", nil), "never having been connected is not a gap")
	assert.Equal(t, 1, logs.FilterMessageSnippet("Subscribed to the MultiAgents event bus").Len())
}

// The reconnect waits double from reconnectInitial up to reconnectMax, with no jitter, and start
// over after a successful subscribe.
func TestReconnectBackoffDoublesUpToTheMax(t *testing.T) {
	r := &multiAgentsReceiver{reconnectInitial: 250 * time.Millisecond, reconnectMax: 30 * time.Second}
	b := r.reconnectBackoff()
	var got []time.Duration
	for range 10 {
		got = append(got, b.NextBackOff())
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{250 * ms, 500 * ms, time.Second, 2 * time.Second, 4 * time.Second,
		8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}, got)
	b.Reset()
	assert.Equal(t, 250*ms, b.NextBackOff())

	// An initial wait above the max is still taken once, as the hand-written loop did.
	r = &multiAgentsReceiver{reconnectInitial: 1500 * ms, reconnectMax: time.Second}
	b = r.reconnectBackoff()
	assert.Equal(t, 1500*ms, b.NextBackOff())
	assert.Equal(t, time.Second, b.NextBackOff())
}
