package silencesextension

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension/internal/metadata"
)

// harness is one started extension on a free loopback port.
type harness struct {
	t    *testing.T
	ext  *silencesExtension
	url  string
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

// start starts the extension with cfg (the default when nil) on 127.0.0.1:0 and the clock.
// start runs the extension on c: a clockwork.FakeClock, or the real clock where amtool, which
// reads the wall clock, takes part.
func start(t *testing.T, cfg *Config, c clockwork.Clock, host component.Host) *harness {
	t.Helper()
	if cfg == nil {
		cfg = createDefaultConfig().(*Config)
	}
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	require.NoError(t, cfg.Validate())
	if host == nil {
		host = componenttest.NewNopHost()
	}
	h := &harness{t: t, tel: componenttest.NewTelemetry()}
	t.Cleanup(func() { require.NoError(t, h.tel.Shutdown(context.Background())) })
	set := extensiontest.NewNopSettings(metadata.Type)
	set.ID = component.NewID(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	core, logs := observer.New(zap.InfoLevel)
	set.Logger = zap.New(core)
	h.logs = logs
	ext, err := newSilencesExtension(set, cfg, c)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), host))
	h.ext = ext
	h.url = "http://" + ext.addr
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) }) // a second Shutdown is a no-op
	return h
}

func (h *harness) stop() {
	h.t.Helper()
	require.NoError(h.t, h.ext.Shutdown(context.Background()))
}

// do sends a request and returns the status and body.
func (h *harness) do(method, path string, body any, headers ...string) (int, []byte) {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(h.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.url+path, r)
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp.StatusCode, raw
}

// list returns GET /api/v2/silences.
func (h *harness) list() []gettableJSON {
	h.t.Helper()
	code, body := h.do(http.MethodGet, silencesPath, nil)
	require.Equal(h.t, http.StatusOK, code, string(body))
	var out []gettableJSON
	require.NoError(h.t, json.Unmarshal(body, &out))
	return out
}

// gettableJSON is a listed silence as a client decodes it.
type gettableJSON struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	Status    struct {
		State string `json:"state"`
	} `json:"status"`
}

// silenceBody is a POST body for one silence.
func silenceBody(id string, startsAt, endsAt time.Time, matchers ...Matcher) map[string]any {
	if matchers == nil {
		matchers = []Matcher{} // present but empty, not missing
	}
	b := map[string]any{"matchers": matchers, "startsAt": startsAt, "endsAt": endsAt, "createdBy": "test", "comment": "because"}
	if id != "" {
		b["id"] = id
	}
	return b
}

func eq(name, value string) Matcher { return Matcher{Name: name, Value: value, IsEqual: true} }

// post creates a silence and returns its id.
func (h *harness) post(body map[string]any) string {
	h.t.Helper()
	code, raw := h.do(http.MethodPost, silencesPath, body)
	require.Equal(h.t, http.StatusOK, code, string(raw))
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	require.NoError(h.t, json.Unmarshal(raw, &out))
	require.NotEmpty(h.t, out.SilenceID)
	return out.SilenceID
}

// metric sums the points of one of the extension's own metrics with the given attribute
// (key, value) pairs (0 when never recorded).
func (h *harness) metric(name string, kv ...string) int64 {
	h.t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			if hasAttrs(dp.Attributes, kv) {
				total += dp.Value
			}
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			if hasAttrs(dp.Attributes, kv) {
				total += dp.Value
			}
		}
	default:
		h.t.Fatalf("unexpected telemetry data %T", m.Data)
	}
	return total
}

func hasAttrs(set attribute.Set, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		if v, ok := set.Value(attribute.Key(kv[i])); !ok || v.AsString() != kv[i+1] {
			return false
		}
	}
	return true
}
