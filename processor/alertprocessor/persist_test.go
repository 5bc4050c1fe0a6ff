package alertprocessor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// storedConfig is the default configuration with storage on the real file_storage extension
// of notifytest.StartFileStorage. The real ticker is kept out of the way (1h): the tests
// evaluate on the fake clock themselves.
func storedConfig(rules ...Rule) *Config {
	cfg := configWith(rules...)
	id := notifytest.FileStorageID
	cfg.Storage = &id
	cfg.EvaluationInterval = time.Hour
	cfg.StaleAfter = 5 * time.Minute
	cfg.ResolvedRetention = 3 * time.Minute
	return cfg
}

// run is one life of the collector: the real file_storage extension over dir and a started
// alert processor on the shared clock. stop shuts both down as a collector stop does.
type run struct {
	*harness
	stop func()
}

func startRun(t *testing.T, cfg *Config, clock *fakeClock, dir string) *run {
	t.Helper()
	host, stopStorage := notifytest.StartFileStorage(t, dir)
	h := newHarnessWithClock(t, cfg, clock)
	require.NoError(t, h.proc.Start(context.Background(), host))
	stopped := false
	r := &run{harness: h, stop: func() {
		if stopped {
			return
		}
		stopped = true
		require.NoError(t, h.proc.Shutdown(context.Background()))
		stopStorage()
	}}
	t.Cleanup(r.stop)
	return r
}

// pointOf returns the rule's point for worker w1 (false when none was written).
func pointOf(points []alertPoint, rule string) (alertPoint, bool) {
	for _, p := range points {
		if p.name == rule && p.labels["worker.name"] == "w1" {
			return p, true
		}
	}
	return alertPoint{}, false
}

// fireW1 drives high_error_rate for w1 to firing (for: 1m) and returns its fingerprint.
func fireW1(t *testing.T, r *run) string {
	t.Helper()
	r.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build())
	p, ok := pointOf(r.evaluate(), "high_error_rate")
	require.True(t, ok)
	require.Equal(t, "pending", p.state)
	r.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build())
	p, ok = pointOf(r.step(time.Minute), "high_error_rate")
	require.True(t, ok)
	require.Equal(t, "firing", p.state)
	require.NotEmpty(t, p.fingerprint)
	return p.fingerprint
}

// An alert firing when the collector stops, whose series never comes back: after the restart
// it stays firing for stale_after (its series may still come back), then keep_firing_for, then
// is written resolved with the same fingerprint at every evaluation for resolved_retention,
// then never again, and the forgetting is stored too.
func TestRestoredAlertWhoseSeriesNeverReturnsIsResolvedOnce(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(testEpoch)
	cfg := storedConfig(errorRateRule(time.Minute, 2*time.Minute))

	first := startRun(t, cfg, clock, dir)
	fp := fireW1(t, first)
	first.stop()

	clock.Advance(10 * time.Minute) // the collector is down
	second := startRun(t, cfg, clock, dir)
	restart := clock.Now()
	var states []string
	for i := range 60 { // 15 minutes of evaluations every 15 s, no input for w1
		if i > 0 {
			clock.Advance(15 * time.Second)
		}
		points := second.evaluate()
		since := clock.Now().Sub(restart)
		p, ok := pointOf(points, "high_error_rate")
		switch {
		case since < 5*time.Minute+2*time.Minute: // stale_after from the restart, then keep_firing_for
			require.True(t, ok, "at +%s", since)
			assert.Equal(t, "firing", p.state, "at +%s", since)
		case since < 5*time.Minute+2*time.Minute+3*time.Minute: // resolved_retention
			require.True(t, ok, "at +%s", since)
			assert.Equal(t, "resolved", p.state, "at +%s", since)
		default:
			assert.Empty(t, points, "at +%s: forgotten after resolved_retention", since)
		}
		if ok {
			assert.Equal(t, fp, p.fingerprint, "the fingerprint survives the restart")
			assert.Equal(t, "Error rate of w1 exceeded 10%", p.description)
			assert.Equal(t, 0.5, p.value, "the last value seen before the restart")
			states = append(states, p.state)
		}
	}
	assert.Equal(t, 28, count(states, "firing"))
	assert.Equal(t, 12, count(states, "resolved"), "written at every evaluation for resolved_retention")
	assert.NotContains(t, states, "pending")
	assert.Equal(t, int64(1), second.telemetry("otelcol_processor_alert_restored"))
	second.stop()

	third := startRun(t, cfg, clock, dir)
	assert.Nil(t, third.evaluate(), "the forgotten instance was not stored again")
	assert.Equal(t, int64(0), third.telemetry("otelcol_processor_alert_restored"))
}

func count(states []string, state string) int {
	n := 0
	for _, s := range states {
		if s == state {
			n++
		}
	}
	return n
}

// A restored alert whose condition still holds stays firing: no new pending phase, the same
// fingerprint; when the condition clears it resolves through keep_firing_for as usual.
func TestRestoredAlertThatStillHoldsStaysFiring(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(testEpoch)
	cfg := storedConfig(errorRateRule(time.Minute, 2*time.Minute))

	first := startRun(t, cfg, clock, dir)
	fp := fireW1(t, first)
	first.stop()

	clock.Advance(3 * time.Minute)
	second := startRun(t, cfg, clock, dir)
	for i := range 20 {
		second.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.7, "worker.name", "w1").build())
		p, ok := pointOf(second.step(time.Duration(min(i, 1))*15*time.Second), "high_error_rate")
		require.True(t, ok)
		assert.Equal(t, "firing", p.state, "evaluation %d after the restart", i)
		assert.Equal(t, fp, p.fingerprint)
		assert.Equal(t, 0.7, p.value)
	}
	// The condition clears: keep_firing_for (2m) then resolved.
	var states []string
	for range 9 {
		second.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.01, "worker.name", "w1").build())
		p, ok := pointOf(second.step(15*time.Second), "high_error_rate")
		require.True(t, ok)
		assert.Equal(t, fp, p.fingerprint)
		states = append(states, p.state)
	}
	assert.Equal(t, []string{"firing", "firing", "firing", "firing", "firing", "firing", "firing", "firing", "resolved"}, states)
	assert.Equal(t, int64(1), second.telemetry("otelcol_processor_alert_transitions"), "only firing→resolved; no pending, no second firing")
}

// A restored instance whose rule was removed, or whose rule's group_by changed (so its
// fingerprint cannot be produced any more), is written resolved once with its stored
// attributes, then forgotten (also in storage).
func TestRestoredAlertOfAGoneRuleIsResolvedOnce(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(testEpoch)
	slow := Rule{
		Name: "slow_worker", Metric: "multiagents.worker.duration.avg", GroupBy: []string{"worker.name"},
		Condition: "> 5", Severity: "error", Description: "{{ worker.name }} is slow",
	}
	first := startRun(t, storedConfig(errorRateRule(time.Minute, 0), slow), clock, dir)
	first.push(newMetrics().gauge("multiagents.worker.duration.avg", "s", 9, "worker.name", "w1").build())
	fp := fireW1(t, first)
	slowPoint, ok := pointOf(first.evaluate(), "slow_worker")
	require.True(t, ok)
	require.Equal(t, "firing", slowPoint.state)
	first.stop()

	// high_error_rate is removed; slow_worker is now grouped by worker.name and host.
	regrouped := slow
	regrouped.GroupBy = []string{"worker.name", "host"}
	cfg := storedConfig(regrouped)
	second := startRun(t, cfg, clock, dir)
	points := second.evaluate()
	require.Len(t, points, 2)
	gone, ok := pointOf(points, "high_error_rate")
	require.True(t, ok)
	assert.Equal(t, alertPoint{
		name: "high_error_rate", state: "resolved", severity: "warning", fingerprint: fp,
		description: "Error rate of w1 exceeded 10%", threshold: "> 0.1", cooldown: "15m0s",
		labels: map[string]string{"worker.name": "w1"}, value: 0.5,
	}, gone)
	old, ok := pointOf(points, "slow_worker")
	require.True(t, ok)
	assert.Equal(t, "resolved", old.state)
	assert.Equal(t, slowPoint.fingerprint, old.fingerprint)
	assert.Equal(t, "error", old.severity)

	assert.Nil(t, second.step(15*time.Second), "written once, then forgotten")
	assert.Equal(t, int64(2), second.telemetry("otelcol_processor_alert_restored"))
	second.stop()

	third := startRun(t, cfg, clock, dir)
	assert.Nil(t, third.evaluate(), "the forgetting was stored")
}

// A silent bus alert (absent rule) restored firing stays firing while the bus is still
// silent (without waiting for its window again) and resolves once activity is back.
func TestRestoredAbsentAlert(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(testEpoch)
	silent := Rule{Name: "bus_silent", Kind: kindAbsent, Metric: "multiagents.events", Window: 5 * time.Minute, Severity: "warning"}
	first := startRun(t, storedConfig(silent), clock, dir)
	assert.Nil(t, first.evaluate())
	assert.Equal(t, "firing", stateOf(first.step(5*time.Minute), "bus_silent", nil))
	first.stop()

	clock.Advance(time.Minute)
	second := startRun(t, storedConfig(silent), clock, dir)
	for i := range 8 {
		assert.Equal(t, "firing", stateOf(second.step(15*time.Second), "bus_silent", nil), "evaluation %d", i)
	}
	second.push(newMetrics().counter("multiagents.events", "{event}", 1, clock.Now(), "event_type", "CommandEvent", "status", "success").build())
	assert.Equal(t, "resolved", stateOf(second.step(15*time.Second), "bus_silent", nil))
}

// Corrupted or foreign stored data costs the restored state, never the start: a warning,
// a counted error, and the processor works (and stores) as usual.
func TestUnreadableStoredStateStartsEmpty(t *testing.T) {
	tests := []struct {
		name, data, wantLog string
		wantErrors          int64
		wantRestored        int64
	}{
		{name: "garbage", data: "\x00\xffnot json at all", wantLog: "Stored alert state is unreadable", wantErrors: 1},
		{name: "other format version", data: `{"v":99,"r":[]}`, wantLog: "Stored alert state is unreadable", wantErrors: 1},
		{name: "wrong shape", data: `{"v":1,"r":{"n":1}}`, wantLog: "Stored alert state is unreadable", wantErrors: 1},
		{
			name: "bad records among good ones",
			data: `{"v":1,"r":[{"n":"high_error_rate","g":["worker.name"],"s":"warning","t":"> 0.1","c":"15m0s","i":[` +
				`{"l":["w1"],"f":"x","s":"exploded","v":"1"},` +
				`{"l":["w1","extra"],"f":"x","s":"firing","v":"1"},` +
				`{"l":["w1"],"f":"x","s":"firing","v":"lots"},` +
				`{"l":["w1"],"f":"` + fingerprint("high_error_rate", []string{"worker.name"}, []string{"w1"}) + `","s":"firing","v":"0.4","a":1}]},` +
				`{"n":"","i":[{"f":"y","s":"firing","v":"1"}]}]}`,
			wantLog: "Restored alert state from storage", wantRestored: 1 + 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeStored(t, dir, []byte(tt.data))
			clock := newFakeClock(testEpoch)
			cfg := storedConfig(errorRateRule(0, 0))
			r := startRun(t, cfg, clock, dir)
			assert.Equal(t, 1, r.logs.FilterMessageSnippet(tt.wantLog).Len(), "logged")
			assert.Equal(t, tt.wantErrors, r.telemetry("otelcol_processor_alert_storage_errors"))
			assert.Equal(t, tt.wantRestored, r.telemetry("otelcol_processor_alert_restored"))
			if tt.wantErrors > 0 {
				assert.Equal(t, zapcore.WarnLevel, r.logs.FilterMessageSnippet(tt.wantLog).All()[0].Level)
				assert.Nil(t, r.evaluate(), "started empty")
			} else {
				assert.Equal(t, "firing", stateOf(r.evaluate(), "high_error_rate", map[string]string{"worker.name": "w1"}), "the good record")
			}
			// And it works and stores as usual.
			r.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w2").build())
			assert.Equal(t, "firing", stateOf(r.evaluate(), "high_error_rate", map[string]string{"worker.name": "w2"}))
			r.stop()
			again := startRun(t, cfg, clock, dir)
			assert.Equal(t, "firing", stateOf(again.evaluate(), "high_error_rate", map[string]string{"worker.name": "w2"}))
		})
	}
}

// writeStored puts data where the alert processor (default id) keeps its state, through the
// real file_storage extension.
func writeStored(t *testing.T, dir string, data []byte) {
	t.Helper()
	host, stop := notifytest.StartFileStorage(t, dir)
	ext := host[notifytest.FileStorageID].(storage.Extension)
	client, err := ext.GetClient(context.Background(), component.KindProcessor, component.NewID(metadata.Type), storageName)
	require.NoError(t, err)
	require.NoError(t, client.Set(context.Background(), storageKey, data))
	require.NoError(t, client.Close(context.Background()))
	stop()
}

// Restoring is bounded by max_instances; what does not fit is counted.
func TestRestoreIsBoundedByMaxInstances(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(testEpoch)
	first := startRun(t, storedConfig(errorRateRule(0, 0)), clock, dir)
	md := newMetrics()
	for _, w := range []string{"w1", "w2", "w3"} {
		md.gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", w)
	}
	first.push(md.build())
	require.Len(t, first.evaluate(), 3)
	first.stop()

	cfg := storedConfig(errorRateRule(0, 0))
	cfg.MaxInstances = 2
	second := startRun(t, cfg, clock, dir)
	assert.Len(t, second.evaluate(), 2)
	assert.Equal(t, int64(3), second.telemetry("otelcol_processor_alert_restored"), "2 restored + 1 skipped")
	assert.Equal(t, 1, second.logs.FilterField(zapcoreInt("over_max_instances", 1)).Len())
}

func zapcoreInt(key string, v int) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.Int64Type, Integer: int64(v)}
}

// The storage key names an extension that must exist and be a storage extension.
func TestStartRejectsAMissingOrWrongStorageExtension(t *testing.T) {
	cfg := storedConfig(errorRateRule(0, 0))
	h := newHarness(t, cfg)
	err := h.proc.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, `storage: extension "file_storage" not found`)

	nop, err := extensiontest.NewNopFactory().Create(context.Background(), extensiontest.NewNopSettings(extensiontest.NopType), extensiontest.NewNopFactory().CreateDefaultConfig())
	require.NoError(t, err)
	h = newHarness(t, cfg)
	err = h.proc.Start(context.Background(), notifytest.Host{notifytest.FileStorageID: nop})
	require.ErrorContains(t, err, `storage: extension "file_storage" is not a storage extension`)
}

// fakeStorage is a storage extension whose client fails as told (unit-level: the real
// file_storage does not fail on demand).
type fakeStorage struct {
	component.StartFunc
	component.ShutdownFunc
	client *fakeClient
	getErr error
}

func (f *fakeStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	if f.getErr != nil {
		return nil, f.getErr
	}
	return f.client, nil
}

type fakeClient struct {
	storage.Client
	readErr, writeErr error
	writes            int
}

func (c *fakeClient) Get(context.Context, string) ([]byte, error) { return nil, c.readErr }
func (c *fakeClient) Set(context.Context, string, []byte) error {
	c.writes++
	return c.writeErr
}
func (c *fakeClient) Close(context.Context) error { return nil }

// Read and open failures start empty with a warning; write failures are counted, logged once,
// and retried at the next evaluation. Writes happen only when the stored instances changed.
func TestStorageFailuresNeverStopAlerting(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		ext  *fakeStorage
		log  string
	}{
		{"open", &fakeStorage{getErr: errors.New("disk gone")}, "Cannot open the alert state storage; alert state will not survive a restart"},
		{"read", &fakeStorage{client: &fakeClient{readErr: errors.New("disk gone")}}, "Cannot read the stored alert state; starting without it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, storedConfig(errorRateRule(0, 0)))
			require.NoError(t, h.proc.Start(ctx, notifytest.Host{notifytest.FileStorageID: tt.ext}))
			t.Cleanup(func() { require.NoError(t, h.proc.Shutdown(ctx)) })
			assert.Equal(t, 1, h.logs.FilterMessage(tt.log).Len())
			assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_storage_errors"))
			h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build())
			assert.Equal(t, "firing", stateOf(h.evaluate(), "high_error_rate", nil))
		})
	}

	t.Run("write", func(t *testing.T) {
		client := &fakeClient{writeErr: errors.New("disk full")}
		h := newHarness(t, storedConfig(errorRateRule(0, 0)))
		require.NoError(t, h.proc.Start(ctx, notifytest.Host{notifytest.FileStorageID: &fakeStorage{client: client}}))
		t.Cleanup(func() { require.NoError(t, h.proc.Shutdown(ctx)) })
		h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build())
		for range 3 {
			assert.Equal(t, "firing", stateOf(h.step(15*time.Second), "high_error_rate", nil))
		}
		assert.Equal(t, 3, client.writes, "retried at every evaluation while failing")
		assert.Equal(t, int64(3), h.telemetry("otelcol_processor_alert_storage_errors"))
		assert.Equal(t, 1, h.logs.FilterMessage("Cannot store alert state; retrying after the next evaluation").Len(), "logged once")

		client.writeErr = nil
		h.step(15 * time.Second)
		assert.Equal(t, 4, client.writes)
		for range 3 {
			h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.9, "worker.name", "w1").build())
			h.step(15 * time.Second)
		}
		assert.Equal(t, 4, client.writes, "nothing stored changed: only the value moved")
	})
}

// FuzzRestoreState feeds arbitrary bytes to the stored-state decoder and restores what it
// accepts into a processor: nothing may panic, the instance budget holds, and evaluation and
// re-encoding must work after.
func FuzzRestoreState(f *testing.F) {
	good := fingerprint("high_error_rate", []string{"worker.name"}, []string{"w1"})
	for _, seed := range []string{
		`{"v":1,"r":[{"n":"high_error_rate","g":["worker.name"],"s":"warning","t":"> 0.1","c":"15m0s","i":[{"l":["w1"],"f":"` + good + `","s":"firing","v":"0.5","a":1,"fa":2}]}]}`,
		`{"v":1,"r":[{"n":"gone","g":["a","b"],"s":"error","t":"> 1","c":"0s","i":[{"l":["x","y"],"f":"f","s":"resolved","v":"NaN","ra":5}]}]}`,
		`{"v":1,"r":[{"n":"bus_silent","s":"warning","i":[{"f":"` + fingerprint("bus_silent", nil, nil) + `","s":"firing","v":"+Inf"}]}]}`,
		`{"v":1,"r":[]}`, `{"v":2}`, `null`, `[]`, "\x00",
	} {
		f.Add([]byte(seed))
	}
	cfg := configWith(errorRateRule(time.Minute, time.Minute),
		Rule{Name: "bus_silent", Kind: kindAbsent, Metric: "multiagents.events", Window: 5 * time.Minute, Severity: "warning"})
	cfg.MaxInstances = 3
	f.Fuzz(func(t *testing.T, data []byte) {
		stored, _, err := decodeState(data)
		if err != nil {
			return
		}
		h := newHarness(t, cfg)
		p := h.proc.alerts
		p.mu.Lock()
		p.restore(stored, h.clock.Now())
		held := p.steps.instances + len(p.orphans)
		p.mu.Unlock()
		if held > cfg.MaxInstances {
			t.Fatalf("%d instances restored over max_instances %d", held, cfg.MaxInstances)
		}
		for range 3 {
			h.step(10 * time.Minute)
		}
		if _, err := encodeState(p.rules); err != nil {
			t.Fatalf("restored state cannot be stored again: %v", err)
		}
	})
}
