//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// continuityRig is one collector with the shipped config on a real Redis, traces and metrics to
// an OTLP sink, and a publisher that keeps saga:* keys as the framework's orchestrator does (the
// receiver catches up from them after a restart).
type continuityRig struct {
	redis *testredis.Server
	sink  *collectortest.OTLPSink
	pub   *collectortest.SagaPublisher
	ports collectortest.Ports
	args  []string
	env   []string
	proc  *collectortest.Process
}

func newContinuityRig(t *testing.T, flags ...string) *continuityRig {
	r := &continuityRig{redis: testredis.Start(t), sink: collectortest.NewOTLPSink(t), ports: collectortest.NewPorts(t)}
	r.pub = collectortest.NewSagaPublisher(r.redis.Addr)
	t.Cleanup(func() { _ = r.pub.Close() })
	r.args = append([]string{"--config", "otelcol-config.yaml"}, r.ports.SetFlags()...)
	r.args = append(r.args,
		"--set=receivers::multiagents::metrics::interval=1s",
		"--set=processors::batch::timeout=200ms",
	)
	r.args = append(r.args, flags...)
	r.env = append(r.ports.Env(),
		"REDIS_ENDPOINT="+r.redis.Addr,
		"OTLP_EXPORTER=otlp_grpc",
		"OTLP_EXPORT_ENDPOINT="+r.sink.Addr,
		"OTELCOL_STORAGE_DIR="+t.TempDir(),
	)
	return r
}

func (r *continuityRig) start(t *testing.T) {
	t.Helper()
	r.proc = collectortest.Start(t, r.args, r.env...)
	_, _, err := collectortest.Get(collectortest.URL(r.ports.Health, "/"), 30*time.Second)
	require.NoError(t, err, "collector did not come up:\n%s", r.proc.Logs())
	require.True(t, collectortest.Eventually(15*time.Second, 100*time.Millisecond, func() bool {
		n, err := r.redis.Do("PUBSUB", "NUMPAT")
		return err == nil && n != ":0"
	}), "receiver never subscribed:\n%s", r.proc.Logs())
}

func (r *continuityRig) stop(t *testing.T) {
	t.Helper()
	code, err := r.proc.Stop(20 * time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code, "exit code after SIGTERM:\n%s", r.proc.Logs())
}

func (r *continuityRig) publish(t *testing.T, msgs ...agentsim.Message) {
	t.Helper()
	_, err := r.pub.Publish(context.Background(), msgs)
	require.NoError(t, err)
}

// step runs one step of w on worker: its command and, unless open, its result.
func (r *continuityRig) step(t *testing.T, w *agentsim.Workflow, worker string, success bool) {
	cmd, id := w.Command(worker, 30, nil)
	r.publish(t, cmd, w.Result(worker, id, success, "payment gateway unreachable"))
}

func (r *continuityRig) roots(t *testing.T, w *agentsim.Workflow) int {
	return r.sink.RootsByTrace()[pcommon.TraceID(traceID(t, w.TxID))]
}

func (r *continuityRig) workflows(t *testing.T, status string) float64 {
	_, body, err := collectortest.Get(collectortest.URL(r.ports.Prometheus, "/metrics"), 5*time.Second)
	require.NoError(t, err)
	return collectortest.SumSeries(body, "multiagents_workflows_total", `status="`+status+`"`)
}

// stopAndCatchUp is the scenario of issue 13's restart test. Before the stop: "exported" ends
// live; "closing" and "failing" start. While the collector is stopped: "closing" completes,
// "failing" fails and is compensated, "whole" runs from start to end, "later" starts. After the
// start, "later" completes live. It returns the workflows and waits until the collector has
// exported the four that ended after the stop.
func stopAndCatchUp(t *testing.T, r *continuityRig) (exported, closing, failing, whole, later *agentsim.Workflow) {
	const wf = "order_processing"
	exported = agentsim.NewWorkflow("multiagent:", wf)
	r.publish(t, exported.Started())
	r.step(t, exported, "validate_order", true)
	r.publish(t, exported.Completed())
	require.True(t, collectortest.Eventually(15*time.Second, 100*time.Millisecond, func() bool { return r.roots(t, exported) == 1 }),
		"the live workflow was not exported:\n%s", r.proc.Logs())

	closing, failing = agentsim.NewWorkflow("multiagent:", wf), agentsim.NewWorkflow("multiagent:", wf)
	r.publish(t, closing.Started(), failing.Started())
	r.step(t, closing, "validate_order", true)
	r.step(t, failing, "validate_order", true)
	time.Sleep(1500 * time.Millisecond) // one metrics interval: the checkpoint has seen them open

	r.stop(t)
	r.step(t, closing, "ship_order", true)
	r.publish(t, closing.Completed())
	r.step(t, failing, "process_payment", false)
	r.publish(t, failing.Compensated())
	whole = agentsim.NewWorkflow("multiagent:", wf)
	r.publish(t, whole.Started())
	r.step(t, whole, "validate_order", true)
	r.step(t, whole, "ship_order", true)
	r.publish(t, whole.Completed())
	later = agentsim.NewWorkflow("multiagent:", wf)
	r.publish(t, later.Started())
	r.step(t, later, "validate_order", true)
	time.Sleep(time.Second) // the stop lasts a moment, as a rolling restart's does

	r.start(t)
	r.step(t, later, "ship_order", true)
	r.publish(t, later.Completed())

	require.True(t, collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		return r.roots(t, closing) >= 1 && r.roots(t, failing) >= 1 && r.roots(t, whole) >= 1 && r.roots(t, later) >= 1
	}), "after the restart: closing %d, failing %d, whole %d, later %d root spans\nlogs:\n%s",
		r.roots(t, closing), r.roots(t, failing), r.roots(t, whole), r.roots(t, later), r.proc.Logs())
	time.Sleep(3 * time.Second) // room for a second export, which must not come
	return exported, closing, failing, whole, later
}

// Workflows that end while the collector is stopped appear after it starts, once each, with
// their status; nothing exported before the stop is exported again (the receiver's checkpoint in
// file_storage).
func TestWorkflowsEndedWhileStoppedAppearOnceWithStorage(t *testing.T) {
	r := newContinuityRig(t, "--set=receivers::multiagents::storage=file_storage")
	r.start(t)
	exported, closing, failing, whole, later := stopAndCatchUp(t, r)

	for name, w := range map[string]*agentsim.Workflow{"exported before the stop": exported, "closing": closing, "failing": failing, "whole": whole, "later": later} {
		assert.Equal(t, 1, r.roots(t, w), "%s: root spans", name)
	}
	assertReconstructed(t, r, whole, true)

	// The new process counts what ended since its start: closing, whole and later completed,
	// failing compensated; the workflow exported before the stop is not counted again.
	require.True(t, collectortest.Eventually(10*time.Second, 200*time.Millisecond, func() bool {
		return r.workflows(t, "completed") >= 3 && r.workflows(t, "compensated") >= 1
	}), "workflow counters after the restart: completed %v, compensated %v", r.workflows(t, "completed"), r.workflows(t, "compensated"))
	time.Sleep(2 * time.Second)
	assert.Equal(t, 3.0, r.workflows(t, "completed"), "completed after the restart")
	assert.Equal(t, 1.0, r.workflows(t, "compensated"), "compensated after the restart")
}

// Without storage a restart falls back to reconcile_lookback (5m shipped): a stop shorter than
// that loses nothing either. The receiver cannot know what it exported before the stop, so a
// workflow that ended within the look-back before the stop is exported again (receiver README,
// "Continuity across restarts").
func TestWorkflowsEndedWhileStoppedAppearOnceWithinLookback(t *testing.T) {
	// The shipped config keeps the checkpoint in file_storage: take it away.
	r := newContinuityRig(t, "--set=receivers::multiagents::storage=null")
	r.start(t)
	exported, closing, failing, whole, later := stopAndCatchUp(t, r)

	for name, w := range map[string]*agentsim.Workflow{"closing": closing, "failing": failing, "whole": whole, "later": later} {
		assert.Equal(t, 1, r.roots(t, w), "%s: root spans", name)
	}
	// Without a memory of what was exported, the workflow that ended within the look-back before
	// the stop is exported (and counted) once more: the documented price of running without
	// storage, and the proof that this test really ran without it.
	replayed := r.roots(t, exported) - 1
	assert.Equal(t, 1, replayed, "the workflow exported before the stop, exported again without storage")
	assertReconstructed(t, r, whole, true)

	require.True(t, collectortest.Eventually(10*time.Second, 200*time.Millisecond, func() bool {
		return r.workflows(t, "completed") >= float64(3+replayed) && r.workflows(t, "compensated") >= 1
	}), "workflow counters after the restart: completed %v, compensated %v", r.workflows(t, "completed"), r.workflows(t, "compensated"))
	time.Sleep(2 * time.Second)
	assert.Equal(t, float64(3+replayed), r.workflows(t, "completed"), "completed after the restart: the spans and the counters agree")
	assert.Equal(t, 1.0, r.workflows(t, "compensated"), "compensated after the restart")
}

// assertReconstructed checks the multiagents.reconstructed mark on w's root span.
func assertReconstructed(t *testing.T, r *continuityRig, w *agentsim.Workflow, want bool) {
	t.Helper()
	id := pcommon.TraceID(traceID(t, w.TxID))
	for _, sp := range r.sink.RootSpans() {
		if sp.Span.TraceID() != id {
			continue
		}
		v, ok := sp.Span.Attributes().Get("multiagents.reconstructed")
		assert.Equal(t, want, ok && v.Bool(), "multiagents.reconstructed on %s's root", w.TxID)
		return
	}
	t.Errorf("no root span for %s", w.TxID)
}
