package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// fakeSender records notifications and answers with the next queued error (nil when none).
type fakeSender struct {
	mu      sync.Mutex
	got     []Notification
	answers []error
	during  func() // runs at the start of each send, outside the lock (data arriving meanwhile)
}

func (s *fakeSender) Send(_ context.Context, n Notification) error {
	if s.during != nil {
		s.during()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.answers) > 0 {
		err := s.answers[0]
		s.answers = s.answers[1:]
		if err != nil {
			return err
		}
	}
	s.got = append(s.got, n)
	return nil
}

// sent renders each notification as status[firing fingerprints], with " resolved[...]" and
// " muted[...]" when it lists any.
func (s *fakeSender) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.got {
		out = append(out, render(n))
	}
	return out
}

func render(n Notification) string {
	fps := func(as []Alert) string {
		var f []string
		for _, a := range as {
			f = append(f, a.Fingerprint)
		}
		return "[" + strings.Join(f, " ") + "]"
	}
	out := string(n.Status) + fps(n.Firing)
	if len(n.Resolved) > 0 {
		out += " resolved" + fps(n.Resolved)
	}
	if len(n.Muted) > 0 {
		out += " muted" + fps(n.Muted)
	}
	return out
}

// memStorage is an in-memory storage extension whose data outlives its clients, like a file.
type memStorage struct {
	component.StartFunc
	component.ShutdownFunc
	mu   sync.Mutex
	data map[string][]byte
	fail bool
}

func (m *memStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return &memClient{m: m}, nil
}

type memClient struct{ m *memStorage }

func (c *memClient) Get(_ context.Context, key string) ([]byte, error) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	return c.m.data[key], nil
}

func (c *memClient) Set(_ context.Context, key string, value []byte) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	if c.m.fail {
		return errors.New("disk full")
	}
	c.m.data[key] = append([]byte(nil), value...)
	return nil
}
func (c *memClient) Delete(context.Context, string) error               { return nil }
func (c *memClient) Batch(context.Context, ...*storage.Operation) error { return nil }
func (c *memClient) Close(context.Context) error                        { return nil }

type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }

var storageID = component.MustNewID("file_storage")

// fakeClock is clockwork's FakeClock, settable, whose timers never fire: tests step the clock
// and call SendDue themselves, so every send happens at a known time.
type fakeClock struct{ *clockwork.FakeClock }

func newFakeClock(at time.Time) *fakeClock { return &fakeClock{clockwork.NewFakeClockAt(at)} }

func (c *fakeClock) After(time.Duration) <-chan time.Time { return nil }

func (c *fakeClock) set(t time.Time) { c.Advance(t.Sub(c.Now())) }

type harness struct {
	t      *testing.T
	id     component.ID
	n      *Notifier
	sender *fakeSender
	clock  *fakeClock
	logs   *observer.ObservedLogs
	reader *sdkmetric.ManualReader
}

func newHarness(t *testing.T, cfg Config) *harness {
	core, logs := observer.New(zapcore.DebugLevel)
	set := exportertest.NewNopSettings(component.MustNewType("test"))
	set.Logger = zap.New(core)
	reader := sdkmetric.NewManualReader()
	h := &harness{t: t, id: set.ID, sender: &fakeSender{}, clock: newFakeClock(t0), logs: logs, reader: reader}
	n, err := New(set, cfg, h.sender, Options{
		Destination: "test", RateLimitKey: t.Name(), Secrets: []string{"s3cr3t"}, Signal: "metrics",
		Meter: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test"),
		Clock: h.clock,
		Retry: exactBackoff(), // exact delays; the randomization has its own test (backoff_test.go)
	})
	require.NoError(t, err)
	h.n = n
	return h
}

// at moves the clock to t0+d and sends what is due then.
func (h *harness) at(d time.Duration) {
	h.clock.set(t0.Add(d))
	h.n.SendDue(context.Background())
}

func (h *harness) push(points ...map[string]any) {
	require.NoError(h.t, h.n.ConsumeMetrics(context.Background(), alertMetrics(points...)))
}

// exactBackoff is retry_on_failure's default without randomization_factor, for tests that
// step a clock to the exact moment of a retry.
func exactBackoff() configretry.BackOffConfig {
	b := configretry.NewDefaultBackOffConfig()
	b.RandomizationFactor = 0
	return b
}

func testConfig() Config {
	cfg := NewDefaultConfig("info", 1000)
	cfg.RepeatInterval = time.Hour
	return cfg
}

func alertMetrics(points ...map[string]any) pmetric.Metrics {
	md := pmetric.NewMetrics()
	g := alertsGauge(md)
	for _, p := range points {
		alertPoint(g, 1, p)
	}
	return md
}

// point is a worker_failure instance on worker w1 with a 15m cooldown.
func point(fp, state, severity string) map[string]any {
	return map[string]any{"alertname": "worker_failure", "alertstate": state, "severity": severity,
		"fingerprint": fp, "cooldown": "15m", "worker.name": "w1"}
}

// named is point with another alert name (another group by default).
func named(name, fp, state string) map[string]any {
	p := point(fp, state, "error")
	p["alertname"] = name
	return p
}

func TestNotifierLifecycle(t *testing.T) {
	h := newHarness(t, testConfig())

	h.push(point("fp", "pending", "error"))
	h.at(time.Minute)
	assert.Empty(t, h.sender.sent(), "pending never notifies")

	h.clock.set(t0.Add(time.Minute))
	h.push(point("fp", "firing", "error"))
	h.at(time.Minute + time.Second)
	assert.Empty(t, h.sender.sent(), "group_wait has not passed")
	h.at(time.Minute + 2*time.Second)
	assert.Equal(t, []string{"firing[fp]"}, h.sender.sent())

	h.push(point("fp", "firing", "error"))
	h.at(15*time.Minute + time.Second)
	assert.Equal(t, []string{"firing[fp]"}, h.sender.sent(), "the cooldown (15m) has not passed")
	h.at(16*time.Minute + 2*time.Second)
	assert.Equal(t, []string{"firing[fp]", "firing[fp]"}, h.sender.sent())
	assert.True(t, h.sender.got[1].Repeat)

	h.push(point("fp", "resolved", "error"))
	h.push(point("fp", "resolved", "error"))
	h.at(16*time.Minute + 3*time.Second)
	assert.Equal(t, []string{"firing[fp]", "firing[fp]"}, h.sender.sent(), "the resolve waits for group_wait")
	h.at(16*time.Minute + 4*time.Second) // not group_interval after the last notification (17m2s)
	assert.Equal(t, []string{"firing[fp]", "firing[fp]", "resolved[] resolved[fp]"}, h.sender.sent())
	assert.EqualValues(t, 3, h.n.Stats().Sent.Load())
	assert.Equal(t, 0, h.n.groups.len(), "a resolved group is forgotten")
}

func TestNotifierMinSeverity(t *testing.T) {
	cfg := testConfig()
	cfg.MinSeverity = "error"
	h := newHarness(t, cfg)
	h.push(point("warn", "firing", "warning"), point("crit", "firing", "critical"), point("warn", "resolved", "warning"))
	h.at(time.Minute)
	assert.Equal(t, []string{"firing[crit]"}, h.sender.sent())
}

func TestNotifierPermanentRefusalKeepsNeighbours(t *testing.T) {
	h := newHarness(t, testConfig())
	h.sender.answers = []error{nil, consumererror.NewPermanent(errors.New("HTTP 400: invalid_payload s3cr3t"))}
	h.push(named("a", "a", "firing"), named("b", "b", "firing"), named("c", "c", "firing"))
	h.at(2 * time.Second)
	assert.Equal(t, []string{"firing[a]", "firing[c]"}, h.sender.sent(), "a refusal does not stop the other groups")
	assert.EqualValues(t, 1, h.n.Stats().Rejected.Load())

	refused := h.logs.FilterMessageSnippet("refused").All()
	require.Len(t, refused, 1, "logged once")
	errText := refused[0].ContextMap()["error"].(string)
	assert.Contains(t, errText, "invalid_payload", "the API's text is logged")
	assert.NotContains(t, errText, "s3cr3t")

	h.push(named("a", "a", "firing"), named("b", "b", "firing"), named("c", "c", "firing"))
	h.at(10 * time.Minute)
	assert.Equal(t, []string{"firing[a]", "firing[c]"}, h.sender.sent(), "b is not retried inside its cooldown")
	h.push(named("b", "b", "resolved"))
	h.at(20 * time.Minute)
	assert.Equal(t, []string{"firing[a]", "firing[c]", "firing[a]", "firing[c]"}, h.sender.sent(),
		"no resolve for a refused trigger (a and c repeat after their 15m cooldown)")
}

func TestNotifierRetryableFailureIsRetriedWithBackoff(t *testing.T) {
	h := newHarness(t, testConfig())
	h.sender.answers = []error{errors.New("HTTP 503"), &ThrottleError{Err: errors.New("HTTP 429"), Delay: 30 * time.Second}}
	h.push(point("a", "firing", "error"))
	h.at(2 * time.Second)
	assert.Empty(t, h.sender.sent())
	assert.EqualValues(t, 1, h.n.Stats().Failed.Load())
	assert.Len(t, h.logs.FilterMessageSnippet("retrying").FilterLevelExact(zapcore.WarnLevel).All(), 1)

	// retry_on_failure's initial_interval is 5s.
	h.at(6 * time.Second)
	assert.Empty(t, h.sender.sent())
	h.at(7 * time.Second)
	assert.Empty(t, h.sender.sent(), "second attempt answered 429 with Retry-After: 30s")
	assert.EqualValues(t, 2, h.n.Stats().Failed.Load())
	assert.Len(t, h.logs.FilterMessageSnippet("retrying").FilterLevelExact(zapcore.WarnLevel).All(), 1,
		"only the first failure of a streak is a warning")
	h.at(36 * time.Second)
	assert.Empty(t, h.sender.sent(), "Retry-After is honoured")
	h.at(37 * time.Second)
	assert.Equal(t, []string{"firing[a]"}, h.sender.sent())
}

func TestNotifierPersistsAcrossRestart(t *testing.T) {
	cfg := testConfig()
	id := storageID
	cfg.Storage = &id
	store := &memStorage{data: map[string][]byte{}}
	host := hostWith{storageID: store}
	ctx := context.Background()

	first := newHarness(t, cfg)
	require.NoError(t, first.n.Start(ctx, host))
	first.push(point("fp", "firing", "error"))
	first.at(2 * time.Second)
	require.NoError(t, first.n.Shutdown(ctx))
	assert.Equal(t, []string{"firing[fp]"}, first.sender.sent())

	second := newHarness(t, cfg)
	second.clock.set(t0.Add(time.Minute))
	require.NoError(t, second.n.Start(ctx, host))
	second.push(point("fp", "firing", "error"))
	second.at(2 * time.Minute)
	assert.Empty(t, second.sender.sent(), "no second page after a restart")
	second.push(point("fp", "resolved", "error"))
	second.at(3 * time.Minute)
	assert.Equal(t, []string{"resolved[] resolved[fp]"}, second.sender.sent(), "the resolve is not lost")
	require.NoError(t, second.n.Shutdown(ctx))
}

func TestNotifierStorageProblems(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig()
	missing := component.MustNewID("nowhere")
	cfg.Storage = &missing
	assert.ErrorContains(t, newHarness(t, cfg).n.Start(ctx, componenttest.NewNopHost()), `storage: extension "nowhere" not found`)

	id := storageID
	cfg.Storage = &id
	store := &memStorage{data: map[string][]byte{storageKey: []byte("garbage")}}
	h := newHarness(t, cfg)
	require.NoError(t, h.n.Start(ctx, hostWith{storageID: store}), "unreadable state is not fatal")
	t.Cleanup(func() { _ = h.n.Shutdown(ctx) })
	assert.EqualValues(t, 1, h.n.Stats().StorageErrors.Load())

	store.mu.Lock()
	store.fail = true
	store.mu.Unlock()
	h.push(point("fp", "firing", "error"))
	h.at(2 * time.Second)
	assert.Equal(t, []string{"firing[fp]"}, h.sender.sent(), "a storage failure does not stop a notification")
	assert.EqualValues(t, 3, h.n.Stats().StorageErrors.Load(), "the unreadable state, the new group, the send")
}

func TestNotifierEvictionIsCounted(t *testing.T) {
	cfg := testConfig()
	cfg.MaxTrackedAlerts = 2
	h := newHarness(t, cfg)
	for i, fp := range []string{"a", "b", "c"} {
		h.clock.set(t0.Add(time.Duration(i) * time.Second))
		h.push(named(fp, fp, "firing"))
	}
	assert.EqualValues(t, 1, h.n.Stats().Evicted.Load())
	assert.Len(t, h.logs.FilterMessageSnippet("bookkeeping is full").All(), 1)
	h.at(time.Minute)
	assert.Equal(t, []string{"firing[b]", "firing[c]"}, h.sender.sent(), "the group active longest ago (a) was forgotten")
}

func TestNotifierInvalidInputLoggedOnce(t *testing.T) {
	h := newHarness(t, testConfig())
	bad := alertMetrics(map[string]any{"alertname": "x", "alertstate": "boom", "severity": "error"}, point("ok", "firing", "error"))
	for range 3 {
		require.NoError(t, h.n.ConsumeMetrics(context.Background(), bad))
	}
	assert.EqualValues(t, 3, h.n.Stats().InvalidAlerts.Load())
	assert.Len(t, h.logs.FilterMessageSnippet("invalid alert").All(), 1)
	h.at(time.Minute)
	assert.Equal(t, []string{"firing[ok]"}, h.sender.sent())
}

func TestNotifierDisabled(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	n := NewDisabled(zap.New(core), "test: url is empty; notifications disabled")
	require.NoError(t, n.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, n.ConsumeMetrics(context.Background(), alertMetrics(point("fp", "firing", "error"))))
	require.NoError(t, n.Shutdown(context.Background()))
	entries := logs.All()
	require.Len(t, entries, 1)
	assert.Equal(t, zapcore.WarnLevel, entries[0].Level)
	assert.Equal(t, "test: url is empty; notifications disabled", entries[0].Message)
}

func TestNotifierRedactsSecrets(t *testing.T) {
	h := newHarness(t, testConfig())
	h.sender.answers = []error{errors.New("dial https://x/s3cr3t: refused")}
	h.push(point("fp", "firing", "error"))
	h.at(2 * time.Second)
	warned := h.logs.FilterMessageSnippet("retrying").All()
	require.Len(t, warned, 1)
	errText := warned[0].ContextMap()["error"].(string)
	assert.NotContains(t, errText, "s3cr3t")
	assert.Contains(t, errText, "[REDACTED]")
}

// Every counter point carries the exporter's id and the signal, so that two notifiers (or one
// component's metrics and logs exporters) never write the same series: that made the
// collector's own /metrics answer HTTP 500.
func TestNotifierTelemetryTellsInstancesApart(t *testing.T) {
	h := newHarness(t, testConfig())
	h.sender.answers = []error{nil, consumererror.NewPermanent(errors.New("HTTP 400"))}
	h.push(named("a", "a", "firing"), named("b", "b", "firing"))
	h.at(2 * time.Second)

	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	seen := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(t, ok, "%s is a sum", m.Name)
			for _, dp := range sum.DataPoints {
				exp, _ := dp.Attributes.Value("exporter")
				sig, _ := dp.Attributes.Value("signal")
				assert.Equal(t, h.id.String(), exp.AsString(), "%s carries the exporter id", m.Name)
				assert.Equal(t, "metrics", sig.AsString(), "%s carries the signal", m.Name)
				seen[m.Name] = true
			}
		}
	}
	assert.True(t, seen["otelcol_notify_sent"] && seen["otelcol_notify_rejected"], "counters seen: %v", seen)
}
