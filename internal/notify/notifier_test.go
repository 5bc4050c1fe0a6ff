package notify

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// fakeSender records notifications and answers with the next queued error (nil when none).
type fakeSender struct {
	mu      sync.Mutex
	got     []Notification
	answers []error
}

func (s *fakeSender) Send(_ context.Context, n Notification) error {
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

func (s *fakeSender) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.got {
		out = append(out, n.Fingerprint+":"+string(n.State))
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

type harness struct {
	n      *Notifier
	sender *fakeSender
	now    time.Time
	logs   *observer.ObservedLogs
}

func newHarness(t *testing.T, cfg Config) *harness {
	core, logs := observer.New(zapcore.DebugLevel)
	set := exportertest.NewNopSettings(component.MustNewType("test"))
	set.Logger = zap.New(core)
	h := &harness{sender: &fakeSender{}, now: t0, logs: logs}
	n, err := New(set, cfg, h.sender, Options{
		Destination: "test", RateLimitKey: t.Name(), Secrets: []string{"s3cr3t"}, Signal: "metrics",
		Now: func() time.Time { return h.now },
	})
	require.NoError(t, err)
	h.n = n
	return h
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

func point(fp, state, severity string) map[string]any {
	return map[string]any{"alertname": "worker_failure", "alertstate": state, "severity": severity,
		"fingerprint": fp, "cooldown": "15m", "worker.name": "w1"}
}

func TestNotifierLifecycle(t *testing.T) {
	h := newHarness(t, testConfig())
	ctx := context.Background()
	push := func(state string) {
		require.NoError(t, h.n.ConsumeMetrics(ctx, alertMetrics(point("fp", state, "error"))))
	}

	push("pending")
	assert.Empty(t, h.sender.sent(), "pending never notifies")
	push("firing")
	push("firing")
	h.now = h.now.Add(14 * time.Minute)
	push("firing")
	assert.Equal(t, []string{"fp:firing"}, h.sender.sent())
	h.now = h.now.Add(time.Minute)
	push("firing")
	assert.Equal(t, []string{"fp:firing", "fp:firing"}, h.sender.sent())
	assert.True(t, h.sender.got[1].Repeat)
	push("resolved")
	push("resolved")
	assert.Equal(t, []string{"fp:firing", "fp:firing", "fp:resolved"}, h.sender.sent())
	assert.EqualValues(t, 3, h.n.Stats().Sent.Load())
}

func TestNotifierMinSeverity(t *testing.T) {
	cfg := testConfig()
	cfg.MinSeverity = "error"
	h := newHarness(t, cfg)
	require.NoError(t, h.n.ConsumeMetrics(context.Background(), alertMetrics(
		point("warn", "firing", "warning"), point("crit", "firing", "critical"), point("warn", "resolved", "warning"))))
	assert.Equal(t, []string{"crit:firing"}, h.sender.sent())
}

func TestNotifierPermanentRefusalKeepsNeighbours(t *testing.T) {
	h := newHarness(t, testConfig())
	h.sender.answers = []error{nil, consumererror.NewPermanent(errors.New("HTTP 400: invalid_payload s3cr3t"))}
	md := alertMetrics(point("a", "firing", "error"), point("b", "firing", "error"), point("c", "firing", "error"))
	require.NoError(t, h.n.ConsumeMetrics(context.Background(), md), "a refusal does not fail the batch")
	assert.Equal(t, []string{"a:firing", "c:firing"}, h.sender.sent())
	assert.EqualValues(t, 1, h.n.Stats().Rejected.Load())

	refused := h.logs.FilterMessageSnippet("refused").All()
	require.Len(t, refused, 1, "logged once")
	errText := refused[0].ContextMap()["error"].(string)
	assert.Contains(t, errText, "invalid_payload", "the API's text is logged")
	assert.NotContains(t, errText, "s3cr3t")

	require.NoError(t, h.n.ConsumeMetrics(context.Background(), md))
	assert.Equal(t, []string{"a:firing", "c:firing"}, h.sender.sent(), "b is not retried inside its cooldown")
	require.NoError(t, h.n.ConsumeMetrics(context.Background(), alertMetrics(point("b", "resolved", "error"))))
	assert.Equal(t, []string{"a:firing", "c:firing"}, h.sender.sent(), "no resolve for a refused trigger")
}

func TestNotifierRetryableFailureStopsAndResumes(t *testing.T) {
	h := newHarness(t, testConfig())
	h.sender.answers = []error{nil, errors.New("HTTP 503")}
	md := alertMetrics(point("a", "firing", "error"), point("b", "firing", "error"), point("b", "resolved", "error"))
	err := h.n.ConsumeMetrics(context.Background(), md)
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Equal(t, []string{"a:firing"}, h.sender.sent(), "b's resolve waits for b's trigger")

	// exporterhelper retries the same batch: a is not sent twice, b goes out, then its resolve.
	require.NoError(t, h.n.ConsumeMetrics(context.Background(), md))
	assert.Equal(t, []string{"a:firing", "b:firing", "b:resolved"}, h.sender.sent())
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
	require.NoError(t, first.n.ConsumeMetrics(ctx, alertMetrics(point("fp", "firing", "error"))))
	require.NoError(t, first.n.Shutdown(ctx))
	assert.Equal(t, []string{"fp:firing"}, first.sender.sent())

	second := newHarness(t, cfg)
	second.now = first.now.Add(time.Minute)
	require.NoError(t, second.n.Start(ctx, host))
	require.NoError(t, second.n.ConsumeMetrics(ctx, alertMetrics(point("fp", "firing", "error"))))
	assert.Empty(t, second.sender.sent(), "no second page after a restart")
	require.NoError(t, second.n.ConsumeMetrics(ctx, alertMetrics(point("fp", "resolved", "error"))))
	assert.Equal(t, []string{"fp:resolved"}, second.sender.sent(), "the resolve is not lost")
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
	assert.EqualValues(t, 1, h.n.Stats().StorageErrors.Load())

	store.fail = true
	require.NoError(t, h.n.ConsumeMetrics(ctx, alertMetrics(point("fp", "firing", "error"))))
	assert.Equal(t, []string{"fp:firing"}, h.sender.sent(), "a storage failure does not stop a notification")
	assert.EqualValues(t, 2, h.n.Stats().StorageErrors.Load())
}

func TestNotifierEvictionIsCounted(t *testing.T) {
	cfg := testConfig()
	cfg.MaxTrackedAlerts = 2
	h := newHarness(t, cfg)
	for _, fp := range []string{"a", "b", "c"} {
		h.now = h.now.Add(time.Second)
		require.NoError(t, h.n.ConsumeMetrics(context.Background(), alertMetrics(point(fp, "firing", "error"))))
	}
	assert.EqualValues(t, 1, h.n.Stats().Evicted.Load())
	assert.Len(t, h.logs.FilterMessageSnippet("bookkeeping is full").All(), 1)
}

func TestNotifierInvalidInputLoggedOnce(t *testing.T) {
	h := newHarness(t, testConfig())
	bad := alertMetrics(map[string]any{"alertname": "x", "alertstate": "boom", "severity": "error"}, point("ok", "firing", "error"))
	for range 3 {
		require.NoError(t, h.n.ConsumeMetrics(context.Background(), bad))
	}
	assert.EqualValues(t, 3, h.n.Stats().InvalidAlerts.Load())
	assert.Len(t, h.logs.FilterMessageSnippet("invalid alert").All(), 1)
	assert.Equal(t, []string{"ok:firing"}, h.sender.sent())
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
	err := h.n.ConsumeMetrics(context.Background(), alertMetrics(point("fp", "firing", "error")))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cr3t")
	assert.Contains(t, err.Error(), "[REDACTED]")
}
