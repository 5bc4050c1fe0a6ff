// Package notifytest holds what the notifier exporters' tests share: alert data builders, a
// settable clock, and a log capture that checks no secret was written.
package notifytest

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// Point is one multiagents.alerts data point.
type Point struct {
	Name, State, Severity, Fingerprint, Description, Threshold, Cooldown string
	Value                                                                float64
	Labels                                                               map[string]string
	Time                                                                 time.Time
	// Annotations are written as annotations.<name> attributes, as the alert processor does.
	Annotations map[string]string
	// TraceIDs (32 hex digits each) are written as exemplars, newest first, one second apart.
	TraceIDs []string
}

// Inhibited returns a worker_failure point for worker that fires but is muted by an inhibition rule.
func Inhibited(fp, severity, worker string) Point {
	return point(fp, alertstate.StateInhibited, severity, worker)
}

// Firing, Pending and Resolved return a worker_failure point for worker in that state.
func Firing(fp, severity, worker string) Point {
	return point(fp, alertstate.StateFiring, severity, worker)
}
func Pending(fp, severity, worker string) Point {
	return point(fp, alertstate.StatePending, severity, worker)
}
func Resolved(fp, severity, worker string) Point {
	return point(fp, alertstate.StateResolved, severity, worker)
}

func point(fp, state, severity, worker string) Point {
	return Point{
		Name: "worker_failure", State: state, Severity: severity, Fingerprint: fp,
		Description: "Worker " + worker + " has failed", Threshold: "== 1", Cooldown: "15m", Value: 1,
		Labels: map[string]string{"worker.name": worker},
		Time:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// AlertMetrics builds a metrics batch holding one multiagents.alerts gauge with the points.
func AlertMetrics(points ...Point) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(alertstate.MetricName)
	dps := m.SetEmptyGauge().DataPoints()
	for _, p := range points {
		dp := dps.AppendEmpty()
		dp.SetDoubleValue(p.Value)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(p.Time))
		attrs := dp.Attributes()
		alertstate.Header{
			Name: p.Name, State: p.State, Severity: p.Severity, Fingerprint: p.Fingerprint,
			Description: p.Description, Threshold: p.Threshold, Cooldown: p.Cooldown,
		}.Put(attrs)
		for k, v := range p.Labels {
			attrs.PutStr(k, v)
		}
		for k, v := range p.Annotations {
			alertstate.PutAnnotation(attrs, k, v)
		}
		for i, id := range p.TraceIDs {
			var tid pcommon.TraceID
			if _, err := hex.Decode(tid[:], []byte(id)); err != nil || len(id) != 2*len(tid) {
				panic("notifytest: trace id " + id + " is not 32 hex digits")
			}
			ex := dp.Exemplars().AppendEmpty()
			ex.SetTraceID(tid)
			ex.SetTimestamp(pcommon.NewTimestampFromTime(p.Time.Add(-time.Duration(i) * time.Second)))
			ex.SetDoubleValue(1)
		}
	}
	return md
}

// ObservedLogger returns a logger capturing every entry, debug included.
func ObservedLogger() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

// AssertNoSecret fails when any captured entry, message or field, contains one of the secrets.
func AssertNoSecret(t testing.TB, logs *observer.ObservedLogs, secrets ...string) {
	t.Helper()
	for _, e := range logs.All() {
		line := e.Message + " " + fmt.Sprint(e.ContextMap())
		for _, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				t.Errorf("secret found in log line %q", line)
			}
		}
	}
}

// Eventually polls cond every 10ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
