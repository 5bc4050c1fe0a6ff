package multiagentsreceiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

// unitAssembler is an assembler without Redis, driven by decoded events and a fake clock.
type unitAssembler struct {
	*assembler
	t     *testing.T
	clock *fakeClock
	tel   *componenttest.Telemetry
	out   *outputBatch
}

func newUnitAssembler(t *testing.T, mutate func(*Config)) *unitAssembler {
	cfg := createDefaultConfig().(*Config)
	cfg.Transactions.StepTimeoutGrace = 0
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	tb, err := metadata.NewTelemetryBuilder(tel.NewTelemetrySettings())
	require.NoError(t, err)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return &unitAssembler{
		assembler: newAssembler(cfg, zap.NewNop(), tb, clock.Now, cfg.Logs.Enabled),
		t:         t, clock: clock, tel: tel, out: newOutputBatch(),
	}
}

func (u *unitAssembler) feed(bodies ...string) {
	u.t.Helper()
	for _, body := range bodies {
		ev, err := eventcodec.Decode([]byte(body))
		require.NoError(u.t, err, body)
		u.apply(ev, "", u.out)
	}
}

func (u *unitAssembler) spanNames() []string {
	var names []string
	for i := 0; i < u.out.spans.Len(); i++ {
		names = append(names, u.out.spans.At(i).Name())
	}
	return names
}

func (u *unitAssembler) counter(name string) float64 {
	h := &harness{t: u.t, telemetry: u.tel}
	return h.counterValue(name, nil)
}

// successfulTx is a one-step workflow that completes.
func successfulTx(tx string) []string {
	cmd := "cmd-" + tx
	return []string{
		statusEvent("s-"+tx, tx, "wf", "2025-08-05T00:00:00", "running", "Workflow started"),
		commandEvent(cmd, tx, "wf", "step", "w", "2025-08-05T00:00:01", 30, `{}`),
		resultEvent("r-"+tx, tx, "step", "w", cmd, "2025-08-05T00:00:02", true, "", `{}`),
		statusEvent("e-"+tx, tx, "wf", "2025-08-05T00:00:03", "completed", "Workflow completed"),
	}
}

func failedTx(tx string) []string {
	cmd := "cmd-" + tx
	return []string{
		statusEvent("s-"+tx, tx, "wf", "2025-08-05T00:00:00", "running", "Workflow started"),
		commandEvent(cmd, tx, "wf", "step", "w", "2025-08-05T00:00:01", 30, `{}`),
		resultEvent("r-"+tx, tx, "step", "w", cmd, "2025-08-05T00:00:02", false, "boom", `{}`),
		statusEvent("e-"+tx, tx, "wf", "2025-08-05T00:00:03", "failed", "Workflow failed"),
	}
}

func TestSamplingKeepsFailuresAndAFractionOfSuccesses(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Sampling.Rate = 0.25 })
	const n = 400
	for i := 0; i < n; i++ {
		u.feed(successfulTx(fmt.Sprintf("ok-%d", i))...)
		u.feed(failedTx(fmt.Sprintf("bad-%d", i))...)
	}
	okRoots, badRoots, okLogs, badLogs := 0, 0, 0, 0
	for i := 0; i < u.out.spans.Len(); i++ {
		s := u.out.spans.At(i)
		if !s.ParentSpanID().IsEmpty() {
			continue
		}
		if s.Status().Code() == ptrace.StatusCodeError {
			badRoots++
		} else {
			okRoots++
		}
	}
	for i := 0; i < u.out.records.Len(); i++ {
		if u.out.records.At(i).Attributes().AsRaw()["workflow.transaction_id"].(string)[:3] == "bad" {
			badLogs++
		} else {
			okLogs++
		}
	}
	assert.Equal(t, n, badRoots, "failed transactions are always kept")
	assert.Equal(t, 4*n, badLogs)
	assert.InDelta(t, n/4, okRoots, n/10, "about a quarter of successes kept")
	assert.Equal(t, 4*okRoots, okLogs, "a kept success keeps all its logs, a dropped one none")
	assert.Equal(t, 2*okRoots+2*n, u.out.spans.Len(), "root and step of every kept transaction")
	// Metrics count everything.
	assert.Equal(t, int64(n), u.metrics.workflows[labelPair{"wf", "completed"}])
	assert.Equal(t, int64(n), u.metrics.workflows[labelPair{"wf", "failed"}])
	assert.Empty(t, u.open, "no held state left behind")
}

func TestMaxOpenEvictsOldest(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.MaxOpen = 2 })
	for _, tx := range []string{"a", "b", "c"} {
		u.feed(statusEvent("s-"+tx, tx, "wf", "2025-08-05T00:00:00", "running", "Workflow started"))
	}
	assert.Len(t, u.open, 2)
	assert.NotContains(t, u.open, "a")
	require.Equal(t, []string{"workflow.wf"}, u.spanNames())
	root := u.out.spans.At(0)
	assert.Equal(t, "a", root.Attributes().AsRaw()["workflow.transaction_id"])
	assert.Equal(t, true, root.Attributes().AsRaw()["multiagents.incomplete"])
	assert.Equal(t, "max_open", root.Attributes().AsRaw()["multiagents.evicted"])
	assert.Equal(t, 1.0, u.counter("otelcol_receiver_multiagents_evicted_transactions"))
	assert.Equal(t, int64(1), u.metrics.workflows[labelPair{"wf", "incomplete"}])
}

func TestRetentionFlushesIncomplete(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.Retention = time.Hour })
	u.feed(statusEvent("s", "tx", "wf", "2025-08-05T00:00:00", "running", "Workflow started"))
	u.clock.Advance(59 * time.Minute)
	u.sweep(u.out)
	assert.Len(t, u.open, 1)
	u.clock.Advance(time.Minute)
	u.sweep(u.out)
	assert.Empty(t, u.open)
	require.Equal(t, 1, u.out.spans.Len())
	assert.Equal(t, "retention", u.out.spans.At(0).Attributes().AsRaw()["multiagents.evicted"])
	assert.Equal(t, ptrace.StatusCodeError, u.out.spans.At(0).Status().Code())
}

func TestSpanCapPerTransaction(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.MaxSpansPerTransaction = 3 })
	u.feed(statusEvent("s", "tx", "wf", "2025-08-05T00:00:00", "running", "Workflow started"))
	for i := 0; i < 5; i++ {
		cmd := fmt.Sprintf("c%d", i)
		u.feed(commandEvent(cmd, "tx", "wf", "step", "w", "2025-08-05T00:00:01", 30, `{}`),
			resultEvent("r"+cmd, "tx", "step", "w", cmd, "2025-08-05T00:00:02", true, "", `{}`))
	}
	u.feed(statusEvent("e", "tx", "wf", "2025-08-05T00:00:03", "completed", "Workflow completed"))
	assert.Equal(t, []string{"worker.w", "worker.w", "worker.w", "workflow.wf"}, u.spanNames())
	assert.Equal(t, 2.0, u.counter("otelcol_receiver_multiagents_dropped_spans"))
	assert.Equal(t, int64(5), u.metrics.workerExecutions[labelPair{"w", "success"}], "metrics still count every execution")
}

func TestPayloadRedactionAndCap(t *testing.T) {
	r := newPayloadRenderer(defaultRedactKeys, 256)
	p := r.render([]byte(`{"user":{"Password":"p","db_password_hint":"x","list":[{"apiToken":"t"}]},"ok":1}`))
	assert.JSONEq(t, `{"user":{"Password":"***REDACTED***","db_password_hint":"***REDACTED***","list":[{"apiToken":"***REDACTED***"}]},"ok":1}`, p.body)
	assert.False(t, p.truncated)

	// A key spelled with \u escapes is still found.
	p = r.render([]byte(`{"p\u0061ssword":"hidden"}`))
	assert.NotContains(t, p.body, "hidden")

	// Values that merely look sensitive stay; only keys match.
	p = r.render([]byte(`{"method":"credit_card"}`))
	assert.Equal(t, `{"method":"credit_card"}`, p.body)

	big := []byte(`{"text":"` + "ééééééééééééééééééééééééééééééééééééééééééééééé" + `"}`)
	p = newPayloadRenderer(defaultRedactKeys, 64).render(big)
	assert.True(t, p.truncated)
	assert.LessOrEqual(t, len(p.body), 64)
	assert.Equal(t, len(big), p.size)
	assert.True(t, isValidUTF8(p.body), "never cuts a character in half")
}

func isValidUTF8(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' {
			return false
		}
	}
	return true
}

func TestPayloadSizeAttributeOnLogs(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Payload.MaxSize = 10 })
	u.feed(commandEvent("c", "tx", "wf", "step", "w", "2025-08-05T00:00:01", 30, `{"order": "ORDER-1754354770"}`))
	require.Equal(t, 1, u.out.records.Len())
	lr := u.out.records.At(0)
	assert.Equal(t, int64(len(`{"order": "ORDER-1754354770"}`)), lr.Attributes().AsRaw()["multiagents.payload.size"])
	assert.Equal(t, true, lr.Attributes().AsRaw()["multiagents.payload.truncated"])
	assert.Len(t, lr.Body().Str(), 10)
}

func TestLogsDisabled(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Logs.Enabled = false })
	u.feed(successfulTx("tx")...)
	assert.Equal(t, 0, u.out.records.Len())
	assert.Equal(t, 2, u.out.spans.Len())
}

func TestSeriesCapOverflow(t *testing.T) {
	wm := newWorkflowMetrics(time.Now())
	for i := 0; i < maxSeriesPerMetric+10; i++ {
		wm.workerExecution(fmt.Sprintf("w%d", i), true, time.Second, true, failureRef{})
	}
	assert.Len(t, wm.workerExecutions, maxSeriesPerMetric+1)
	assert.Equal(t, int64(10), wm.workerExecutions[labelPair{overflowKey, overflowKey}])
	md := wm.build(time.Now(), 0, hostUtilisation{})
	found := false
	m := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := 0; i < m.Len(); i++ {
		if m.At(i).Name() != metricWorkerExecutions {
			continue
		}
		dps := m.At(i).Sum().DataPoints()
		for j := 0; j < dps.Len(); j++ {
			if v, ok := dps.At(j).Attributes().Get("otel.metric.overflow"); ok && v.Bool() {
				found = true
				assert.Equal(t, int64(10), dps.At(j).IntValue())
			}
		}
	}
	assert.True(t, found)
}

func TestSamplingHoldsAtMostMaxSpansPerTransactionLogRecords(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) {
		c.Sampling.Rate = 0 // every success is held back until it ends
		c.Transactions.MaxSpansPerTransaction = 3
	})
	u.feed(statusEvent("s", "tx", "wf", "2025-08-05T00:00:00", "running", "Workflow started"))
	for i := 0; i < 5; i++ {
		cmd := fmt.Sprintf("c%d", i)
		u.feed(commandEvent(cmd, "tx", "wf", "step", "w", "2025-08-05T00:00:01", 30, `{}`),
			resultEvent("r"+cmd, "tx", "step", "w", cmd, "2025-08-05T00:00:02", true, "", `{}`))
	}
	require.Equal(t, 0, u.out.records.Len(), "nothing leaves while the transaction may still be dropped")
	// 11 records so far: 3 held, 8 dropped and counted.
	assert.Equal(t, 8.0, u.counter("otelcol_receiver_multiagents_dropped_log_records"))

	// A failure releases what was held; what comes after goes straight out.
	u.feed(commandEvent("bad", "tx", "wf", "pay", "w", "2025-08-05T00:00:03", 30, `{}`),
		resultEvent("rbad", "tx", "pay", "w", "bad", "2025-08-05T00:00:04", false, "boom", `{}`))
	assert.GreaterOrEqual(t, u.out.records.Len(), 3)
	assert.LessOrEqual(t, u.out.records.Len(), 5)
}
