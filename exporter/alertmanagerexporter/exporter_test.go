package alertmanagerexporter

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/alertmanagerexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

var t0 = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)

// fakeAM records every POST /api/v2/alerts and answers with the queued statuses (200 when none).
type fakeAM struct {
	srv     *httptest.Server
	mu      sync.Mutex
	posts   [][]postableAlert
	answers []int
	auth    []string
}

func newFakeAM(t *testing.T) *fakeAM {
	f := &fakeAM{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/api/v2/alerts") {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		status := http.StatusOK
		if len(f.answers) > 0 {
			status, f.answers = f.answers[0], f.answers[1:]
		}
		if status == http.StatusOK {
			var batch []postableAlert
			data, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(data, &batch); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			f.posts = append(f.posts, batch)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAM) answer(statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, statuses...)
}

// take returns the batches accepted since the last take.
func (f *fakeAM) take() [][]postableAlert {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.posts
	f.posts = nil
	return out
}

type harness struct {
	t      *testing.T
	e      *amExporter
	clock  *clockwork.FakeClock
	reader *sdkmetric.ManualReader
}

// newHarness builds the exporter with an injected clock and no sender goroutines: each
// SendDue is one deterministic pass.
func newHarness(t *testing.T, mutate func(*Config), urls ...string) *harness {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = urls
	cfg.GeneratorURL = "https://grafana.example.com/d/multiagents"
	cfg.BackOffConfig.InitialInterval = 5 * time.Second
	cfg.BackOffConfig.Multiplier = 2
	cfg.BackOffConfig.MaxInterval = 30 * time.Second
	cfg.BackOffConfig.RandomizationFactor = 0 // the tests step the clock to the exact retry
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	reader := sdkmetric.NewManualReader()
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = component.NewID(metadata.Type) // one id across restarts: the storage namespace
	set.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	clk := clockwork.NewFakeClockAt(t0)
	e, err := newAMExporter(set, cfg, clk)
	require.NoError(t, err)
	e.manual = true
	return &harness{t: t, e: e, clock: clk, reader: reader}
}

func (h *harness) consume(points ...notifytest.Point) {
	h.t.Helper()
	require.NoError(h.t, h.e.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(points...)))
}

// at stamps p with the clock's time, as the alert processor stamps each evaluation.
func (h *harness) at(p notifytest.Point) notifytest.Point {
	p.Time = h.clock.Now()
	return p
}

// counter sums the exporter's counter name, by endpoint attribute ("" for none).
func (h *harness) counter(name string) map[string]int64 {
	h.t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(h.t, h.reader.Collect(context.Background(), &rm))
	out := make(map[string]int64)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(h.t, ok, "%s is a sum", name)
			for _, dp := range sum.DataPoints {
				exp, _ := dp.Attributes.Value(attribute.Key("exporter"))
				assert.Equal(h.t, "alertmanager", exp.AsString(), "every point names its exporter")
				ep, _ := dp.Attributes.Value(attribute.Key("endpoint"))
				out[ep.AsString()] += dp.Value
			}
		}
	}
	return out
}

// gauge reads the exporter's gauge name (the exporter attribute checked).
func (h *harness) gauge(name string) int64 {
	h.t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(h.t, h.reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[int64]); ok && m.Name == name {
				require.Len(h.t, g.DataPoints, 1)
				exp, _ := g.DataPoints[0].Attributes.Value(attribute.Key("exporter"))
				assert.Equal(h.t, "alertmanager", exp.AsString())
				return g.DataPoints[0].Value
			}
		}
	}
	h.t.Fatalf("no gauge %s", name)
	return 0
}

func workerDown(state, worker string) notifytest.Point {
	p := notifytest.Firing("fp-"+worker, "critical", worker)
	p.State = state
	p.Labels["team"] = "payments" // a static rule label: a label like the group labels
	p.Annotations = map[string]string{
		"summary":     "Worker {{ worker.name }} is down ({{ $value }} failures)",
		"runbook_url": "https://runbooks.example.com/worker-down",
	}
	p.TraceIDs = []string{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7a3ce929d0e0e4736"}
	return p
}

func TestFiringResendResolveLifecycle(t *testing.T) {
	am := newFakeAM(t)
	h := newHarness(t, nil, am.srv.URL)
	require.NoError(t, h.e.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, h.e.Shutdown(context.Background())) }()
	ctx := context.Background()

	pending := h.at(workerDown("pending", "payments"))
	h.consume(pending)
	h.e.SendDue(ctx)
	assert.Empty(t, am.take(), "pending is never sent, as in Prometheus")

	fired := h.at(workerDown("firing", "payments"))
	fired.Value = 3
	h.consume(fired)
	h.e.SendDue(ctx)
	posts := am.take()
	require.Len(t, posts, 1)
	require.Len(t, posts[0], 1)
	got := posts[0][0]
	assert.Equal(t, map[string]string{
		"alertname": "worker_failure", "severity": "critical", "worker_name": "payments", "team": "payments",
	}, got.Labels, "the contract's label set, names mapped with alertlabel.Name")
	assert.Equal(t, map[string]string{
		"description": "Worker payments has failed",
		"threshold":   "== 1",
		"summary":     "Worker payments is down (3 failures)",
		"runbook_url": "https://runbooks.example.com/worker-down",
		"value":       "3",
		"trace_ids":   "4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7a3ce929d0e0e4736",
	}, got.Annotations)
	assert.True(t, got.StartsAt.Equal(t0), "startsAt is when the exporter first saw it firing")
	assert.True(t, got.EndsAt.Equal(t0.Add(4*time.Minute)), "endsAt 4 resends ahead: %s", got.EndsAt)
	assert.Equal(t, "https://grafana.example.com/d/multiagents", got.GeneratorURL)

	// Evaluations within the resend interval send nothing new; the value waits for the resend.
	h.clock.Advance(30 * time.Second)
	again := h.at(fired)
	again.Value = 5
	h.consume(again)
	h.e.SendDue(ctx)
	assert.Empty(t, am.take(), "no resend before resend_interval")
	h.clock.Advance(30 * time.Second)
	h.e.SendDue(ctx)
	posts = am.take()
	require.Len(t, posts, 1, "resent after resend_interval")
	assert.Equal(t, "5", posts[0][0].Annotations["value"])
	assert.True(t, posts[0][0].StartsAt.Equal(t0), "startsAt kept")
	assert.True(t, posts[0][0].EndsAt.Equal(t0.Add(30*time.Second+4*time.Minute)), "endsAt from the last observation: %s", posts[0][0].EndsAt)

	// The resolve goes out at once, with endsAt the resolve time, then is re-sent for
	// resolved_resend_for.
	h.clock.Advance(10 * time.Second)
	resolvedAt := h.clock.Now()
	h.consume(h.at(workerDown("resolved", "payments")))
	h.e.SendDue(ctx)
	posts = am.take()
	require.Len(t, posts, 1)
	assert.True(t, posts[0][0].EndsAt.Equal(resolvedAt), "endsAt is the resolve time")
	assert.True(t, posts[0][0].StartsAt.Equal(t0))
	resends := 0
	for range 20 {
		h.clock.Advance(time.Minute)
		h.consume(h.at(workerDown("resolved", "payments"))) // the processor keeps writing it
		h.e.SendDue(ctx)
		for _, p := range am.take() {
			resends++
			assert.True(t, p[0].EndsAt.Equal(resolvedAt))
		}
	}
	assert.Equal(t, 14, resends, "re-sent every minute while younger than resolved_resend_for (15m), not made new by the processor's later points")
	assert.Equal(t, 1, h.tracked(), "kept while the processor still writes it")
	assert.Equal(t, int64(1), h.gauge("otelcol_alertmanager_tracked_alerts"))
	h.clock.Advance(4 * time.Minute)
	h.e.SendDue(ctx)
	assert.Empty(t, am.take())
	assert.Equal(t, 0, h.tracked(), "forgotten once the processor stopped writing it")
	assert.Equal(t, int64(0), h.gauge("otelcol_alertmanager_tracked_alerts"))
	assert.Equal(t, map[string]int64{am.srv.URL: 17}, h.counter("otelcol_alertmanager_alerts_sent"))
}

func (h *harness) tracked() int {
	h.e.mu.Lock()
	defer h.e.mu.Unlock()
	return len(h.e.tracker.byFP)
}

func TestMutedSentByDefaultOrLeftOut(t *testing.T) {
	ctx := context.Background()
	for _, sendMuted := range []bool{true, false} {
		am := newFakeAM(t)
		h := newHarness(t, func(c *Config) { c.SendMuted = sendMuted }, am.srv.URL)
		require.NoError(t, h.e.Start(ctx, componenttest.NewNopHost()))
		h.consume(h.at(workerDown("silenced", "payments")), h.at(workerDown("inhibited", "billing")))
		h.e.SendDue(ctx)
		posts := am.take()
		if sendMuted {
			require.Len(t, posts, 1)
			assert.Len(t, posts[0], 2, "muted instances go to Alertmanager as firing (it applies its own silences)")
			assert.True(t, posts[0][0].EndsAt.After(h.clock.Now()), "sent as firing")
		} else {
			assert.Empty(t, posts, "send_muted: false leaves muted instances out")
			// Unmuted, it is news at once, with the startsAt of its first firing observation.
			h.clock.Advance(15 * time.Second)
			h.consume(h.at(workerDown("firing", "payments")))
			h.e.SendDue(ctx)
			posts = am.take()
			require.Len(t, posts, 1)
			require.Len(t, posts[0], 1)
			assert.Equal(t, "payments", posts[0][0].Labels["worker_name"])
			assert.True(t, posts[0][0].StartsAt.Equal(t0), "startsAt from when it first fired, muted or not")
			// Its resolve goes out even though Alertmanager never saw the muted one.
			h.consume(h.at(workerDown("resolved", "billing")))
			h.e.SendDue(ctx)
			posts = am.take()
			require.Len(t, posts, 1)
			assert.Equal(t, "billing", posts[0][0].Labels["worker_name"])
		}
		require.NoError(t, h.e.Shutdown(ctx))
	}
}

func TestOneFailingEndpointDoesNotHoldTheOther(t *testing.T) {
	ctx := context.Background()
	good, bad := newFakeAM(t), newFakeAM(t)
	bad.answer(http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	h := newHarness(t, nil, good.srv.URL, bad.srv.URL)
	require.NoError(t, h.e.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, h.e.Shutdown(ctx)) }()

	h.consume(h.at(workerDown("firing", "payments")))
	h.e.SendDue(ctx)
	assert.Len(t, good.take(), 1, "the healthy endpoint got the alert")
	assert.Empty(t, bad.take())

	h.clock.Advance(4 * time.Second)
	h.e.SendDue(ctx)
	assert.Empty(t, bad.take(), "no retry before retry_on_failure's initial_interval (5s)")
	h.clock.Advance(time.Second)
	h.e.SendDue(ctx) // second failure: next try 10s later
	h.clock.Advance(9 * time.Second)
	h.e.SendDue(ctx)
	assert.Empty(t, bad.take(), "backoff doubled")
	h.clock.Advance(time.Second)
	h.e.SendDue(ctx)
	posts := bad.take()
	require.Len(t, posts, 1, "delivered once the endpoint answers again")
	assert.True(t, posts[0][0].StartsAt.Equal(t0))
	assert.Empty(t, good.take(), "the healthy endpoint is not re-sent anything early")
	assert.Equal(t, map[string]int64{bad.srv.URL: 2}, h.counter("otelcol_alertmanager_send_failures"), "failures counted per endpoint")
	assert.Equal(t, map[string]int64{good.srv.URL: 1, bad.srv.URL: 1}, h.counter("otelcol_alertmanager_alerts_sent"))
}

func TestRefusedBatchWaitsForTheNextResend(t *testing.T) {
	ctx := context.Background()
	am := newFakeAM(t)
	am.answer(http.StatusBadRequest)
	h := newHarness(t, nil, am.srv.URL)
	require.NoError(t, h.e.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, h.e.Shutdown(ctx)) }()
	h.consume(h.at(workerDown("firing", "payments")))
	h.e.SendDue(ctx)
	h.clock.Advance(30 * time.Second)
	h.e.SendDue(ctx)
	assert.Empty(t, am.take(), "a 4xx is not retried at once")
	assert.Equal(t, map[string]int64{am.srv.URL: 1}, h.counter("otelcol_alertmanager_alerts_rejected"))
	h.clock.Advance(30 * time.Second)
	h.consume(h.at(workerDown("firing", "payments")))
	h.e.SendDue(ctx)
	assert.Len(t, am.take(), 1, "sent again at the next resend")
}

func TestBatchesOf64(t *testing.T) {
	ctx := context.Background()
	am := newFakeAM(t)
	h := newHarness(t, nil, am.srv.URL)
	require.NoError(t, h.e.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, h.e.Shutdown(ctx)) }()
	var points []notifytest.Point
	for i := range 130 {
		p := h.at(notifytest.Firing("fp"+string(rune('a'+i/26))+string(rune('a'+i%26)), "error", "w"+string(rune('a'+i/26))+string(rune('a'+i%26))))
		points = append(points, p)
	}
	h.consume(points...)
	h.e.SendDue(ctx)
	posts := am.take()
	require.Len(t, posts, 3)
	assert.Equal(t, []int{64, 64, 2}, []int{len(posts[0]), len(posts[1]), len(posts[2])})
}

func TestBoundedStateEvictsResolvedFirst(t *testing.T) {
	ctx := context.Background()
	am := newFakeAM(t)
	h := newHarness(t, func(c *Config) { c.MaxTrackedAlerts = 2 }, am.srv.URL)
	require.NoError(t, h.e.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, h.e.Shutdown(ctx)) }()
	h.consume(h.at(workerDown("firing", "a")))
	h.clock.Advance(time.Second)
	h.consume(h.at(workerDown("firing", "b")), h.at(workerDown("resolved", "a")))
	h.clock.Advance(time.Second)
	h.consume(h.at(workerDown("firing", "c")))
	h.e.mu.Lock()
	_, hasA := h.e.tracker.byFP["fp-a"]
	_, hasB := h.e.tracker.byFP["fp-b"]
	h.e.mu.Unlock()
	assert.False(t, hasA, "the resolved instance goes first")
	assert.True(t, hasB)
	h.clock.Advance(time.Second)
	h.consume(h.at(workerDown("firing", "c")), h.at(workerDown("firing", "d")))
	h.e.mu.Lock()
	_, hasB = h.e.tracker.byFP["fp-b"]
	h.e.mu.Unlock()
	assert.False(t, hasB, "then the firing one observed longest ago")
	assert.Equal(t, 2, h.tracked())
	assert.Equal(t, map[string]int64{"": 2}, h.counter("otelcol_alertmanager_evicted"))
}

func TestFiringNoLongerObservedExpires(t *testing.T) {
	ctx := context.Background()
	am := newFakeAM(t)
	h := newHarness(t, nil, am.srv.URL)
	require.NoError(t, h.e.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, h.e.Shutdown(ctx)) }()
	h.consume(h.at(workerDown("firing", "payments")))
	h.e.SendDue(ctx)
	first := am.take()
	require.Len(t, first, 1)
	sends := 0
	for range 6 {
		h.clock.Advance(time.Minute)
		h.e.SendDue(ctx)
		for _, p := range am.take() {
			sends++
			assert.True(t, p[0].EndsAt.Equal(first[0][0].EndsAt), "endsAt stays 4 resends after the last observation")
		}
	}
	assert.Equal(t, 3, sends, "re-sent until its endsAt, then left to expire in Alertmanager")
	assert.Equal(t, 0, h.tracked())
}

func TestLabelNameCollisionsJoinValues(t *testing.T) {
	a := notify.Alert{Name: "x", Severity: notify.SeverityError, Labels: []notify.Label{
		{Key: "worker.name", Value: "a"}, {Key: "worker_name", Value: "b"}, {Key: "empty", Value: ""},
	}}
	assert.Equal(t, map[string]string{"alertname": "x", "severity": "error", "worker_name": "a;b"}, labelSet(a),
		"as the Prometheus exporter joins colliding attributes; empty values are absent")
}

func TestOnlyAlertsEnterTheQueue(t *testing.T) {
	ctx := context.Background()
	am := newFakeAM(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{am.srv.URL}
	exp, err := NewFactory().CreateMetrics(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
	other := pmetric.NewMetrics()
	other.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetName("multiagents.events")
	require.NoError(t, exp.ConsumeMetrics(ctx, other))
	p := workerDown("firing", "payments")
	p.Time = time.Now()
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(p)))
	notifytest.Eventually(t, 5*time.Second, func() bool {
		am.mu.Lock()
		defer am.mu.Unlock()
		return len(am.posts) > 0
	}, "the alert reaches Alertmanager through the queue and the sender")
	require.NoError(t, exp.Shutdown(ctx))
	assert.Equal(t, 1, exp.(alertsOnly).Exporter().tracked(), "only the alert was tracked")
}

func (e *amExporter) tracked() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.tracker.byFP)
}

func TestDisabledWithoutEndpoints(t *testing.T) {
	ctx := context.Background()
	logger, logs := notifytest.ObservedLogger()
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = logger
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{""}
	exp, err := NewFactory().CreateMetrics(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(workerDown("firing", "payments"))))
	require.NoError(t, exp.Shutdown(ctx))
	assert.Equal(t, 1, logs.FilterMessage(disabledMessage).Len(), "one warning at start")
}

func TestCredentialsNeverLogged(t *testing.T) {
	ctx := context.Background()
	am := newFakeAM(t)
	am.answer(http.StatusInternalServerError, http.StatusBadRequest)
	withCreds := strings.Replace(am.srv.URL, "http://", "http://admin:s3cret@", 1)
	closed := "http://admin:s3cret@127.0.0.1:1"
	logger, logs := notifytest.ObservedLogger()
	h := newHarness(t, nil, withCreds, closed)
	h.e.logger = logger
	require.NoError(t, h.e.Start(ctx, componenttest.NewNopHost()))
	h.consume(h.at(workerDown("firing", "payments")))
	h.e.SendDue(ctx) // 500 and connection refused
	h.clock.Advance(time.Minute)
	h.e.SendDue(ctx) // 400
	require.NoError(t, h.e.Shutdown(ctx))
	assert.GreaterOrEqual(t, logs.Len(), 3, "failures and the refusal are logged")
	notifytest.AssertNoSecret(t, logs, "s3cret", "admin:")
	am.mu.Lock()
	defer am.mu.Unlock()
	require.NotEmpty(t, am.auth)
	assert.Equal(t, "Basic YWRtaW46czNjcmV0", am.auth[0], "user info in the URL is sent as basic auth")
	assert.Contains(t, h.counter("otelcol_alertmanager_send_failures"), "http://127.0.0.1:1", "the endpoint attribute carries no credentials")
}

func TestStorageKeepsStartsAtAndResolvesAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	am := newFakeAM(t)
	dir := t.TempDir()
	withStorage := func(c *Config) { id := notifytest.FileStorageID; c.Storage = &id }

	host, stopStorage := notifytest.StartFileStorage(t, dir)
	h := newHarness(t, withStorage, am.srv.URL)
	require.NoError(t, h.e.Start(ctx, host))
	h.consume(h.at(workerDown("firing", "payments")), h.at(workerDown("firing", "billing")))
	h.e.SendDue(ctx)
	h.clock.Advance(time.Minute)
	resolvedAt := h.clock.Now()
	h.consume(h.at(workerDown("firing", "payments")), h.at(workerDown("resolved", "billing")))
	require.NoError(t, h.e.Shutdown(ctx)) // the resolve was never sent
	stopStorage()
	am.take()

	host, _ = notifytest.StartFileStorage(t, dir)
	h2 := newHarness(t, withStorage, am.srv.URL)
	h2.clock.Advance(2 * time.Minute)
	require.NoError(t, h2.e.Start(ctx, host))
	defer func() { require.NoError(t, h2.e.Shutdown(ctx)) }()
	h2.e.SendDue(ctx)
	posts := am.take()
	require.Len(t, posts, 1)
	require.Len(t, posts[0], 2, "everything restored is sent at once after a start")
	for _, p := range posts[0] {
		assert.True(t, p.StartsAt.Equal(t0), "startsAt survives the restart: %s", p.StartsAt)
		switch p.Labels["worker_name"] {
		case "billing":
			assert.True(t, p.EndsAt.Equal(resolvedAt), "the resolve survives the restart")
		case "payments":
			assert.True(t, p.EndsAt.After(h2.clock.Now()), "still firing")
			assert.Equal(t, "Worker payments is down (1 failures)", p.Annotations["summary"])
		}
	}
}

func TestUnreadableStorageStartsEmpty(t *testing.T) {
	tr := newTracker(createDefaultConfig().(*Config), 1)
	_, err := tr.load([]byte(`{"format_version":99}`), t0)
	assert.ErrorContains(t, err, "format version 99")
	_, err = tr.load([]byte(`garbage`), t0)
	assert.Error(t, err)
}

func TestFiringAgainAfterAResolveIsANewAlert(t *testing.T) {
	ctx := context.Background()
	am := newFakeAM(t)
	h := newHarness(t, nil, am.srv.URL)
	require.NoError(t, h.e.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, h.e.Shutdown(ctx)) }()
	h.consume(h.at(workerDown("firing", "payments")))
	h.clock.Advance(time.Minute)
	h.consume(h.at(workerDown("resolved", "payments")))
	h.e.SendDue(ctx)
	am.take()
	h.clock.Advance(time.Minute)
	refired := h.clock.Now()
	h.consume(h.at(workerDown("firing", "payments")))
	h.e.SendDue(ctx)
	posts := am.take()
	require.Len(t, posts, 1, "the new firing is sent at once, not at the resolve's resend time")
	assert.True(t, posts[0][0].StartsAt.Equal(refired), "a new startsAt after the resolve: %s", posts[0][0].StartsAt)
	assert.True(t, posts[0][0].EndsAt.After(refired))
}
