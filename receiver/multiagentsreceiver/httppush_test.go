package multiagentsreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/bearertokenauthextension"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
)

func withHTTP(maxBody int64) harnessOption {
	return func(h *harness) {
		httpCfg := confighttp.NewDefaultServerConfig()
		httpCfg.NetAddr.Endpoint = "127.0.0.1:0"
		httpCfg.MaxRequestBodySize = maxBody
		h.cfg.HTTP = configoptional.Some(httpCfg)
	}
}

func postEvents(t *testing.T, h *harness, body []byte, headers map[string]string) (int, pushResponse, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+h.recv.httpAddr+eventsPath, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var pr pushResponse
	_ = json.Unmarshal(raw, &pr)
	return resp.StatusCode, pr, resp.Header
}

func TestHTTPPushMixedGoodAndBad(t *testing.T) {
	h := startHarness(t, withHTTP(1<<20))
	const tx = "9e000000-0000-4000-8000-000000000001"
	const cmd = "c0000007-0000-4000-8000-000000000001"
	body := "[" + strings.Join([]string{
		statusEvent("s1", tx, "push_flow", "2025-08-05T04:00:00", "running", "Workflow started"),
		`{"type": "command", "metadata": {}}`,
		commandEvent(cmd, tx, "push_flow", "work", "worker_a", "2025-08-05T04:00:01", 30, `{"ratio": NaN}`),
		`{"no_type": true}`,
		resultEvent("r1", tx, "work", "worker_a", cmd, "2025-08-05T04:00:02", true, "", `{}`),
		statusEvent("s2", tx, "push_flow", "2025-08-05T04:00:03", "completed", "Workflow completed"),
		`{"type": "custom", "event_name": "order_completed", "transaction_id": "` + tx + `", "correlation_id": "` + tx + `", "data": {"order_id": "ORDER-123", "api_key": "k-123"}}`,
	}, ",") + "]"
	code, resp, _ := postEvents(t, h, []byte(body), nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 5, resp.Accepted)
	assert.Equal(t, 2, resp.Rejected)
	require.Len(t, resp.Errors, 2)
	assert.Equal(t, pushFailure{Index: 1, Reason: eventcodec.ReasonMissingTransactionID, Detail: eventcodec.ReasonMissingTransactionID}, resp.Errors[0])
	assert.Equal(t, 3, resp.Errors[1].Index)
	assert.Equal(t, eventcodec.ReasonMissingType, resp.Errors[1].Reason)

	spans := h.waitSpans(2)
	require.Len(t, spans, 2)
	spanByName(t, spans, "workflow.push_flow")
	spanByName(t, spans, "worker.worker_a")
	var custom bool
	for _, lr := range h.allLogs() {
		if lr.EventName() == "multiagents.custom" {
			custom = true
			assert.Equal(t, "order_completed", lr.Attributes().AsRaw()["multiagents.event_name"])
			assert.Equal(t, traceIDFor(tx), lr.TraceID())
			assert.NotContains(t, lr.Body().Str(), "k-123")
		}
	}
	assert.True(t, custom, "custom business event logged")
	assert.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_decode_errors", map[string]string{"reason": eventcodec.ReasonMissingType, "transport": "http"}))
}

func TestHTTPPushNDJSONGzipAndAllBad(t *testing.T) {
	h := startHarness(t, withHTTP(1<<20))
	const tx = "9e000000-0000-4000-8000-000000000002"
	ndjson := statusEvent("s1", tx, "nd", "2025-08-05T05:00:00", "running", "Workflow started") + "\n" +
		"{broken\n" +
		statusEvent("s2", tx, "nd", "2025-08-05T05:00:01", "completed", "Workflow completed") + "\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(ndjson))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	code, resp, _ := postEvents(t, h, gz.Bytes(), map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/x-ndjson"})
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2, resp.Accepted)
	assert.Equal(t, 1, resp.Rejected)
	assert.Equal(t, 1, resp.Errors[0].Index)
	spans := h.waitSpans(1)
	assert.Equal(t, "workflow.nd", spans[0].Name())

	code, resp, _ = postEvents(t, h, []byte(`{"type": "status"}`), nil)
	assert.Equal(t, http.StatusBadRequest, code, "nothing accepted")
	assert.Equal(t, 0, resp.Accepted)
	assert.Equal(t, eventcodec.ReasonMissingTransactionID, resp.Errors[0].Reason)

	code, _, _ = postEvents(t, h, nil, nil)
	assert.Equal(t, http.StatusBadRequest, code)
}

func TestHTTPPushOversize(t *testing.T) {
	h := startHarness(t, withHTTP(1024))
	big := statusEvent("s1", "t", "wf", "2025-08-05T05:00:00", "running", strings.Repeat("x", 2048))
	code, resp, _ := postEvents(t, h, []byte(big), nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Contains(t, resp.Message, "1024")

	// A small gzip body that inflates past the limit is refused as well.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(big + strings.Repeat(" ", 1<<16)))
	require.NoError(t, zw.Close())
	require.Less(t, gz.Len(), 1024)
	code, _, _ = postEvents(t, h, gz.Bytes(), map[string]string{"Content-Encoding": "gzip"})
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Empty(t, h.allSpans())
}

func TestHTTPPushPipelineRefusalIs503(t *testing.T) {
	h := startHarness(t, withHTTP(1<<20))
	h.recv.nextLogs = consumertest.NewErr(errors.New("queue full"))
	code, resp, header := postEvents(t, h, []byte(statusEvent("s1", "9e000000-0000-4000-8000-000000000003", "wf", "2025-08-05T05:00:00", "running", "Workflow started")), nil)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "5", header.Get("Retry-After"))
	assert.Equal(t, 1, resp.Accepted)
}

func TestHTTPPushBearerTokenAuth(t *testing.T) {
	// The real contrib bearertokenauth extension, as users configure it.
	authID := component.MustNewID("bearertokenauth")
	factory := bearertokenauthextension.NewFactory()
	extCfg := factory.CreateDefaultConfig().(*bearertokenauthextension.Config)
	extCfg.BearerToken = "s3cret-token"
	ext, err := factory.Create(context.Background(), extensiontest.NewNopSettings(factory.Type()), extCfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })

	h := startHarness(t, withHTTP(1<<20), func(h *harness) {
		h.cfg.HTTP.Get().Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
		h.host.extensions = map[component.ID]component.Component{authID: ext}
	})
	event := []byte(statusEvent("s1", "9e000000-0000-4000-8000-000000000004", "auth_flow", "2025-08-05T06:00:00", "completed", "Workflow completed"))

	code, _, _ := postEvents(t, h, event, nil)
	assert.Equal(t, http.StatusUnauthorized, code, "no token")
	code, _, _ = postEvents(t, h, event, map[string]string{"Authorization": "Bearer wrong"})
	assert.Equal(t, http.StatusUnauthorized, code, "wrong token")
	time.Sleep(50 * time.Millisecond)
	assert.Empty(t, h.allSpans(), "rejected requests ingest nothing")

	code, resp, _ := postEvents(t, h, event, map[string]string{"Authorization": "Bearer s3cret-token"})
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1, resp.Accepted)
	assert.Equal(t, "workflow.auth_flow", h.waitSpans(1)[0].Name())
}
