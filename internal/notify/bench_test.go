package notify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

type nopSender struct{}

func (nopSender) Send(context.Context, Notification) error { return nil }

// benchAlerts is one evaluation's worth of alert state: n instances in the given state.
func benchAlerts(n int, state string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	g := alertsGauge(md)
	for i := range n {
		alertPoint(g, 0.25, map[string]any{
			"alertname": "high_error_rate", "alertstate": state, "severity": "warning",
			"fingerprint": fmt.Sprintf("fp-%04d", i), "description": "Error rate exceeded 10%",
			"threshold": "> 0.1", "cooldown": "15m", "worker.name": fmt.Sprintf("worker-%04d", i),
		})
	}
	return md
}

// steppingClock moves 1 ms on at every reading, so every group is due by its next look.
type steppingClock struct {
	clockwork.Clock // the rest, unused here
	now             time.Time
}

func (c *steppingClock) Now() time.Time                       { c.now = c.now.Add(time.Millisecond); return c.now }
func (c *steppingClock) After(time.Duration) <-chan time.Time { return nil }

// benchNotifier groups by every label (one group per instance, the most bookkeeping) with no
// group_wait, so each instance is one notification.
func benchNotifier(b *testing.B) *Notifier {
	cfg := NewDefaultConfig("info", 1e9) // the limiter never waits: measure the core, not the pacing
	cfg.GroupBy = []string{"..."}
	cfg.GroupWait = 0
	cfg.GroupInterval = time.Nanosecond
	n, err := New(exportertest.NewNopSettings(component.MustNewType("bench")), cfg, nopSender{},
		Options{Destination: "bench", RateLimitKey: b.Name(), Signal: "metrics"})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkSteadyState is the common case: every instance is firing and already notified, so
// each data point is read and dedup'd without a send. Reported per alert data point.
func BenchmarkSteadyState(b *testing.B) {
	const points = 1000
	n := benchNotifier(b)
	md := benchAlerts(points, "firing")
	ctx := context.Background()
	if err := n.ConsumeMetrics(ctx, md); err != nil { // first evaluation notifies all
		b.Fatal(err)
	}
	n.SendDue(ctx)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := n.ConsumeMetrics(ctx, md); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*points), "ns/point")
}

// BenchmarkReadOnly is AlertsFromMetrics alone: the baseline the steady state is compared with.
func BenchmarkReadOnly(b *testing.B) {
	const points = 1000
	md := benchAlerts(points, "firing")
	b.ReportAllocs()
	for b.Loop() {
		if alerts, _ := AlertsFromMetrics(md); len(alerts) != points {
			b.Fatal("lost alerts")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*points), "ns/point")
}

// BenchmarkNotifyEach has every data point become a notification (repeat interval of 1ns,
// sender a no-op, no eviction): the core's cost per notification sent.
func BenchmarkNotifyEach(b *testing.B) {
	n := benchNotifier(b)
	n.groups.cfg.repeatInterval = time.Nanosecond
	benchNotifications(b, n, 100)
}

// BenchmarkNotifyWithEviction is the worst case of the bounded bookkeeping: it is full
// (max_groups 1000) and every notification is a new group, so each one evicts.
func BenchmarkNotifyWithEviction(b *testing.B) {
	n := benchNotifier(b)
	n.groups.cfg.maxGroups = 1000
	benchNotifications(b, n, 64)
}

// benchNotifications pushes batches of 100 firing points, rounds distinct batches in turn.
func benchNotifications(b *testing.B, n *Notifier, rounds int) {
	ctx := context.Background()
	batches := make([]pmetric.Metrics, rounds)
	for i := range batches {
		md := pmetric.NewMetrics()
		g := alertsGauge(md)
		for j := range 100 {
			// A label of its own per instance: group_by [...] then makes one group of each.
			alertPoint(g, 1, map[string]any{"alertname": "a", "alertstate": "firing", "severity": "error",
				"fingerprint": fmt.Sprintf("fp-%d-%d", i, j), "worker.name": fmt.Sprintf("w-%d-%d", i, j)})
		}
		batches[i] = md
	}
	n.clock = &steppingClock{Clock: clockwork.NewFakeClock(), now: time.Unix(0, 0)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := n.ConsumeMetrics(ctx, batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
		n.SendDue(ctx)
		i++
	}
	if got := n.Stats().Sent.Load(); got < int64(b.N*100) {
		b.Fatalf("sent %d notifications, want %d", got, b.N*100)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/notification")
}

// BenchmarkSelectAlerts is the filter in front of the sending queue on a typical pipeline
// batch: 1000 other metrics (one point each) and one multiagents.alerts gauge of 10 points.
func BenchmarkSelectAlerts(b *testing.B) {
	md := benchAlerts(10, "firing")
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := range 1000 {
		m := ms.AppendEmpty()
		m.SetName(fmt.Sprintf("multiagents.other.%d", i))
		m.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(float64(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if sel, ok := SelectAlerts(md); !ok || sel.DataPointCount() != 10 {
			b.Fatal("lost alerts")
		}
	}
}
