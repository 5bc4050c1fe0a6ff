package silencesextension

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/bearertokenauthextension"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertmanagertest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

func storedConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Storage = &notifytest.FileStorageID
	return cfg
}

// Silences survive a restart through the real file_storage extension: active, pending and
// expired ones, with their ids, and an expire made before the restart stays made.
func TestSilencesSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	c := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	now := c.Now()

	host, stopStorage := notifytest.StartFileStorage(t, dir)
	h := start(t, storedConfig(), c, host)
	active := h.post(silenceBody("", now, now.Add(time.Hour), eq("alertname", "worker_failure"), eq("worker_name", "w1")))
	pending := h.post(silenceBody("", now.Add(time.Hour), now.Add(2*time.Hour), Matcher{Name: "severity", Value: "warning|info", IsRegex: true, IsEqual: true}))
	expired := h.post(silenceBody("", now, now.Add(time.Hour), eq("alertname", "bus_silent")))
	code, _ := h.do(http.MethodDelete, silencePath+expired, nil)
	require.Equal(t, http.StatusOK, code)
	before := h.list()
	h.stop()
	stopStorage()

	host, _ = notifytest.StartFileStorage(t, dir)
	h = start(t, storedConfig(), c, host)
	assert.Equal(t, before, h.list(), "the same silences, ids and states")
	labels := map[string]string{"alertname": "worker_failure", "worker_name": "w1", "severity": "error"}
	assert.Equal(t, []string{active}, h.ext.Silenced(labels, now.Add(time.Minute)))
	assert.Empty(t, h.ext.Silenced(map[string]string{"alertname": "bus_silent"}, now.Add(time.Minute)), "still expired")
	assert.Equal(t, []string{pending}, h.ext.Silenced(map[string]string{"severity": "info"}, now.Add(90*time.Minute)))
	assert.Len(t, h.logs.FilterMessage("Restored silences from storage").All(), 1)
	assert.Equal(t, int64(0), h.metric("otelcol_extension_silences_storage_errors"))
}

// The storage key names an extension that must exist and be a storage extension.
func TestStorageKeyNeedsAStorageExtension(t *testing.T) {
	set := extensiontest.NewNopSettings(extensiontest.NopType)
	nop, err := extensiontest.NewNopFactory().Create(context.Background(), set, nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		host component.Host
		want string
	}{
		{componenttest.NewNopHost(), `storage: extension "file_storage" not found`},
		{notifytest.Host{notifytest.FileStorageID: nop}, `storage: extension "file_storage" is not a storage extension`},
	} {
		cfg := storedConfig()
		cfg.NetAddr.Endpoint = "127.0.0.1:0"
		ext, err := newSilencesExtension(extensiontest.NewNopSettings(NewFactory().Type()), cfg, clockwork.NewRealClock())
		require.NoError(t, err)
		assert.ErrorContains(t, ext.Start(context.Background(), tc.host), tc.want)
		require.NoError(t, ext.Shutdown(context.Background()))
	}
}

// Unreadable stored silences are logged and counted; the extension starts empty.
func TestUnreadableStorageStartsEmpty(t *testing.T) {
	dir := t.TempDir()
	host, stopStorage := notifytest.StartFileStorage(t, dir)
	client, err := host[notifytest.FileStorageID].(storage.Extension).GetClient(context.Background(), component.KindExtension, component.NewID(NewFactory().Type()), storageName)
	require.NoError(t, err)
	require.NoError(t, client.Set(context.Background(), storageKey, []byte(`{"version": 99}`)))
	require.NoError(t, client.Close(context.Background()))

	h := start(t, storedConfig(), clockwork.NewRealClock(), host)
	assert.Empty(t, h.list())
	assert.Equal(t, int64(1), h.metric("otelcol_extension_silences_storage_errors", "operation", "decode"))
	assert.Len(t, h.logs.FilterMessage("Stored silences are unreadable; starting without them").All(), 1)
	h.stop()
	stopStorage()
}

// Expired silences are kept for retention, then forgotten (also in storage); at max_silences
// the expired silences that ended first make room, and a new silence is refused only when
// every silence held is pending or active.
func TestRetentionAndMaxSilences(t *testing.T) {
	dir := t.TempDir()
	c := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	host, stopStorage := notifytest.StartFileStorage(t, dir)
	cfg := storedConfig()
	cfg.MaxSilences = 3
	cfg.Retention = time.Hour
	h := start(t, cfg, c, host)
	now := c.Now()
	m := eq("alertname", "worker_failure")

	first := h.post(silenceBody("", now, now.Add(10*time.Minute), m))
	second := h.post(silenceBody("", now, now.Add(20*time.Minute), m))
	third := h.post(silenceBody("", now, now.Add(5*time.Hour), m))
	code, body := h.do(http.MethodPost, silencesPath, silenceBody("", now, now.Add(time.Hour), m))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, string(body), "silence limit reached: 3 pending or active silences (max_silences)")
	assert.Equal(t, int64(1), h.metric("otelcol_extension_silences_refused", "reason", "full"))

	c.Advance(30 * time.Minute) // first and second have expired: the one that ended first makes room
	fourth := h.post(silenceBody("", c.Now(), c.Now().Add(time.Hour), m))
	ids := func() []string {
		var out []string
		for _, s := range h.list() {
			out = append(out, s.ID)
		}
		return out
	}
	assert.ElementsMatch(t, []string{second, third, fourth}, ids())
	assert.NotContains(t, ids(), first)
	assert.Equal(t, int64(1), h.metric("otelcol_extension_silences_forgotten", "reason", "evicted"))

	c.Advance(50 * time.Minute) // second ended 60 minutes ago: still kept
	h.ext.forgetExpired()
	assert.Contains(t, ids(), second)
	c.Advance(time.Minute)
	h.ext.forgetExpired()
	assert.ElementsMatch(t, []string{third, fourth}, ids(), "forgotten after retention")
	assert.Equal(t, int64(1), h.metric("otelcol_extension_silences_forgotten", "reason", "retention"))
	assert.Equal(t, int64(2), h.metric("otelcol_extension_silences", "state", "active"))
	assert.Equal(t, int64(0), h.metric("otelcol_extension_silences", "state", "expired"))

	h.stop()
	stopStorage()
	host, _ = notifytest.StartFileStorage(t, dir)
	h = start(t, cfg, c, host)
	assert.ElementsMatch(t, []string{third, fourth}, ids(), "the forgetting was stored")
}

// The API behind the real contrib bearertokenauth extension, as users configure it.
func TestBearerTokenAuth(t *testing.T) {
	authID := component.MustNewID("bearertokenauth")
	factory := bearertokenauthextension.NewFactory()
	extCfg := factory.CreateDefaultConfig().(*bearertokenauthextension.Config)
	extCfg.BearerToken = "s3cret-token"
	auth, err := factory.Create(context.Background(), extensiontest.NewNopSettings(factory.Type()), extCfg)
	require.NoError(t, err)
	require.NoError(t, auth.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, auth.Shutdown(context.Background())) })

	cfg := createDefaultConfig().(*Config)
	cfg.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	c := clockwork.NewRealClock() // the wall clock: amtool lists only silences that have not ended by its own clock
	h := start(t, cfg, c, notifytest.Host{authID: auth})
	now := c.Now()
	body := silenceBody("", now, now.Add(time.Hour), eq("alertname", "worker_failure"))

	code, _ := h.do(http.MethodPost, silencesPath, body)
	assert.Equal(t, http.StatusUnauthorized, code, "no token")
	code, _ = h.do(http.MethodPost, silencesPath, body, "Authorization", "Bearer wrong")
	assert.Equal(t, http.StatusUnauthorized, code, "wrong token")
	code, _ = h.do(http.MethodGet, silencesPath, nil)
	assert.Equal(t, http.StatusUnauthorized, code, "reading needs the token too")
	assert.Empty(t, h.ext.store.list(nil, now), "refused requests change nothing")

	code, _ = h.do(http.MethodPost, silencesPath, body, "Authorization", "Bearer s3cret-token")
	assert.Equal(t, http.StatusOK, code)
	assert.Len(t, h.ext.store.list(nil, now), 1)

	// amtool, as the README tells: the token in an HTTP config file.
	_, err = alertmanagertest.Amtool(t, h.url, "silence", "query")
	assert.Error(t, err, "amtool without the token is refused")
	httpConfig := filepath.Join(t.TempDir(), "amtool-http.yml")
	require.NoError(t, os.WriteFile(httpConfig, []byte("authorization:\n  credentials: s3cret-token\n"), 0o600))
	out, err := alertmanagertest.Amtool(t, h.url, "--http.config.file="+httpConfig, "silence", "query", "-q")
	require.NoError(t, err)
	assert.Equal(t, h.ext.store.list(nil, now)[0].ID, strings.TrimSpace(out))
	for _, e := range h.logs.All() {
		assert.NotContains(t, e.Message, "s3cret-token")
		for _, f := range e.Context {
			assert.NotContains(t, f.String, "s3cret-token", "the token is never logged")
		}
	}
}
