package multiagentsreceiver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

// fakeClock is the receiver's injectable clock in tests: it moves only when told.
type fakeClock = clockwork.FakeClock

// statusHost records the component status events the receiver reports.
type statusHost struct {
	mu         sync.Mutex
	events     []componentstatus.Status
	extensions map[component.ID]component.Component
}

func (h *statusHost) GetExtensions() map[component.ID]component.Component { return h.extensions }

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev.Status())
}

func (h *statusHost) statuses() []componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]componentstatus.Status(nil), h.events...)
}

// harness runs one receiver in the traces, metrics and logs pipelines at once.
type harness struct {
	t         *testing.T
	redis     *testredis.Server
	cfg       *Config
	recv      *multiAgentsReceiver
	shared    *sharedReceiver
	clock     *fakeClock
	host      *statusHost
	telemetry *componenttest.Telemetry
	traces    *consumertest.TracesSink
	metrics   *consumertest.MetricsSink
	logs      *consumertest.LogsSink
}

// harnessOption adjusts the configuration, receiver or host before Start.
type harnessOption func(h *harness)

func startHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	return startHarnessOn(t, testredis.Start(t), zap.NewNop(), true, opts...)
}

// startHarnessOn starts the receiver against srv; wait says whether to wait for its subscription.
func startHarnessOn(t *testing.T, srv *testredis.Server, logger *zap.Logger, wait bool, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{
		t:         t,
		redis:     srv,
		clock:     clockwork.NewFakeClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		host:      &statusHost{},
		telemetry: componenttest.NewTelemetry(),
		traces:    new(consumertest.TracesSink),
		metrics:   new(consumertest.MetricsSink),
		logs:      new(consumertest.LogsSink),
	}
	t.Cleanup(func() { _ = h.telemetry.Shutdown(context.Background()) })
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Redis.Endpoint = h.redis.Addr
	cfg.Transactions.StepTimeoutGrace = 5 * time.Second
	cfg.Metrics.Interval = time.Hour // tests emit explicitly
	cfg.Metrics.MaxDelay = 0
	h.cfg = cfg

	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.telemetry.NewTelemetrySettings()
	set.Logger = logger
	f := NewFactory()
	tr, err := f.CreateTraces(context.Background(), set, cfg, h.traces)
	require.NoError(t, err)
	mr, err := f.CreateMetrics(context.Background(), set, cfg, h.metrics)
	require.NoError(t, err)
	lr, err := f.CreateLogs(context.Background(), set, cfg, h.logs)
	require.NoError(t, err)
	h.shared = tr.(*sharedReceiver)
	require.Same(t, h.shared, mr, "one receiver instance for all signals")
	require.Same(t, h.shared, lr, "one receiver instance for all signals")
	h.recv = h.shared.inner
	h.recv.now = h.clock.Now
	h.recv.sweepInterval = time.Hour // tests sweep explicitly
	h.recv.reconnectInitial = 50 * time.Millisecond
	h.recv.reconnectMax = 200 * time.Millisecond
	for _, o := range opts {
		o(h)
	}
	require.NoError(t, tr.Start(context.Background(), h.host))
	require.NoError(t, mr.Start(context.Background(), h.host))
	require.NoError(t, lr.Start(context.Background(), h.host))
	t.Cleanup(func() {
		require.NoError(t, tr.Shutdown(context.Background()))
		require.NoError(t, mr.Shutdown(context.Background()))
		require.NoError(t, lr.Shutdown(context.Background()))
	})
	if wait {
		h.waitSubscribed()
	}
	return h
}

// waitSubscribed waits until Redis counts the receiver's pattern subscription.
func (h *harness) waitSubscribed() {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		n, err := h.redis.Do("PUBSUB", "NUMPAT")
		return err == nil && n == ":1"
	}, 10*time.Second, 10*time.Millisecond, "receiver never subscribed")
}

// publish sends raw JSON text, exactly as the framework would, on its real channel name.
func (h *harness) publish(channel, body string) {
	h.t.Helper()
	_, err := h.redis.Do("PUBLISH", channel, body)
	require.NoError(h.t, err)
}

func (h *harness) allSpans() []ptrace.Span {
	var out []ptrace.Span
	for _, td := range h.traces.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			ss := td.ResourceSpans().At(i).ScopeSpans()
			for j := 0; j < ss.Len(); j++ {
				for k := 0; k < ss.At(j).Spans().Len(); k++ {
					out = append(out, ss.At(j).Spans().At(k))
				}
			}
		}
	}
	return out
}

func (h *harness) waitSpans(n int) []ptrace.Span {
	h.t.Helper()
	require.Eventually(h.t, func() bool { return len(h.allSpans()) >= n }, 10*time.Second, 10*time.Millisecond,
		"expected %d spans", n)
	time.Sleep(50 * time.Millisecond) // let any extra span arrive so that counts are exact
	return h.allSpans()
}

func (h *harness) allLogs() []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range h.logs.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sl := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sl.Len(); j++ {
				for k := 0; k < sl.At(j).LogRecords().Len(); k++ {
					out = append(out, sl.At(j).LogRecords().At(k))
				}
			}
		}
	}
	return out
}

// waitProcessed waits until n events reached the events metric (decoded and applied).
func (h *harness) waitProcessed(n int64) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		h.recv.asm.mu.Lock()
		defer h.recv.asm.mu.Unlock()
		var total int64
		for _, v := range h.recv.asm.metrics.events {
			total += v
		}
		return total >= n
	}, 10*time.Second, 10*time.Millisecond, "expected %d events processed", n)
}

// emitMetrics triggers one emission and returns it.
func (h *harness) emitMetrics() pmetric.Metrics {
	h.recv.emitMetrics(context.Background())
	all := h.metrics.AllMetrics()
	require.NotEmpty(h.t, all)
	return all[len(all)-1]
}

func spanByName(t *testing.T, spans []ptrace.Span, name string) ptrace.Span {
	t.Helper()
	var found []ptrace.Span
	for _, s := range spans {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	require.Len(t, found, 1, "exactly one span named %s", name)
	return found[0]
}

func attrsOf(m pcommon.Map) map[string]any { return m.AsRaw() }

// findMetric returns the named metric from md.
func findMetric(t *testing.T, md pmetric.Metrics, name string) pmetric.Metric {
	t.Helper()
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := 0; i < ms.Len(); i++ {
		if ms.At(i).Name() == name {
			return ms.At(i)
		}
	}
	t.Fatalf("metric %s not emitted", name)
	return pmetric.Metric{}
}

// sumValues maps "attr=value,attr=value" of each data point to its value.
func sumValues(t *testing.T, md pmetric.Metrics, name string) map[string]int64 {
	t.Helper()
	m := findMetric(t, md, name)
	require.Equal(t, pmetric.AggregationTemporalityCumulative, m.Sum().AggregationTemporality())
	out := map[string]int64{}
	for i := 0; i < m.Sum().DataPoints().Len(); i++ {
		dp := m.Sum().DataPoints().At(i)
		out[attrKey(dp.Attributes())] = dp.IntValue()
	}
	return out
}

type histPoint struct {
	count uint64
	sum   float64
}

func histValues(t *testing.T, md pmetric.Metrics, name string) map[string]histPoint {
	t.Helper()
	m := findMetric(t, md, name)
	require.Equal(t, "s", m.Unit())
	out := map[string]histPoint{}
	for i := 0; i < m.Histogram().DataPoints().Len(); i++ {
		dp := m.Histogram().DataPoints().At(i)
		out[attrKey(dp.Attributes())] = histPoint{dp.Count(), dp.Sum()}
	}
	return out
}

func attrKey(m pcommon.Map) string {
	var parts []string
	m.Range(func(k string, v pcommon.Value) bool {
		parts = append(parts, k+"="+v.AsString())
		return true
	})
	// pcommon.Map keeps insertion order; the receiver always inserts in table order.
	return strings.Join(parts, ",")
}

// counterValue sums an internal telemetry counter over the data points whose attributes
// contain all of want.
func (h *harness) counterValue(name string, want map[string]string) float64 {
	h.t.Helper()
	m, err := h.telemetry.GetMetric(name)
	if err != nil {
		return 0
	}
	var total float64
	switch data := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range data.DataPoints {
			if attrsMatch(dp.Attributes.ToSlice(), want) {
				total += float64(dp.Value)
			}
		}
	case metricdata.Sum[float64]:
		for _, dp := range data.DataPoints {
			if attrsMatch(dp.Attributes.ToSlice(), want) {
				total += dp.Value
			}
		}
	default:
		h.t.Fatalf("metric %s has unexpected type %T", name, m.Data)
	}
	return total
}

func attrsMatch(kvs []attribute.KeyValue, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, kv := range kvs {
			if string(kv.Key) == k && kv.Value.String() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Framework events as raw JSON text, the way Python's json.dumps writes them.

func statusEvent(id, tx, workflow, ts, status, message string) string {
	return fmt.Sprintf(`{"id": "%s", "type": "status", "metadata": {"transaction_id": "%s", "correlation_id": "%s", "timestamp": "%s", "source": "%s", "version": "1.0"}, "payload": {"workflow_id": "%s", "current_step": null, "step_results": {}}, "status": "%s", "progress": null, "message": "%s"}`,
		id, tx, tx, ts, workflow, workflow, status, message)
}

func commandEvent(id, tx, workflow, step, worker, ts string, timeout int, payload string) string {
	return fmt.Sprintf(`{"id": "%s", "type": "command", "metadata": {"transaction_id": "%s", "correlation_id": "%s.%s", "timestamp": "%s", "source": "%s", "version": "1.0"}, "payload": %s, "worker_type": "%s", "timeout_seconds": %d, "retry_policy": null}`,
		id, tx, tx, step, ts, workflow, payload, worker, timeout)
}

func resultEvent(id, tx, step, worker, commandID, ts string, success bool, errMsg, payload string) string {
	errJSON, details := "null", "null"
	if !success {
		errJSON = fmt.Sprintf("%q", errMsg)
		details = `{"error_type": "WorkerException"}`
	}
	return fmt.Sprintf(`{"id": "%s", "type": "result", "metadata": {"transaction_id": "%s", "correlation_id": "%s.%s", "timestamp": "%s", "source": "%s", "version": "1.0"}, "payload": %s, "command_id": "%s", "success": %t, "error_message": %s, "error_details": %s}`,
		id, tx, tx, step, ts, worker, payload, commandID, success, errJSON, details)
}

func compensationEvent(id, tx, workflow, step, compType, originalCommandID, ts string) string {
	return fmt.Sprintf(`{"id": "%s", "type": "compensation", "metadata": {"transaction_id": "%s", "correlation_id": "%s.comp.%s", "timestamp": "%s", "source": "%s", "version": "1.0"}, "payload": {"order_id": "ORDER-1"}, "original_command_id": "%s", "compensation_type": "%s"}`,
		id, tx, tx, step, ts, workflow, originalCommandID, compType)
}
