package silencesextension

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertmanagertest"
)

// send posts or gets raw against any base URL.
func send(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

// The same requests against the real Alertmanager (0.25, Debian's) and the extension get the
// same status, and a refusal is a JSON string in both; a listed silence has the same fields.
func TestAnswersLikeTheRealAlertmanager(t *testing.T) {
	am := alertmanagertest.Start(t, alertmanagertest.Options{})
	h := start(t, nil, clockwork.NewRealClock(), nil)
	now := time.Now().UTC()
	body := func(matchers []map[string]any, startsAt, endsAt time.Time) []byte {
		raw, err := json.Marshal(map[string]any{"matchers": matchers, "startsAt": startsAt, "endsAt": endsAt, "createdBy": "test", "comment": "c"})
		require.NoError(t, err)
		return raw
	}
	m := func(name, value string, isRegex bool) map[string]any {
		return map[string]any{"name": name, "value": value, "isRegex": isRegex, "isEqual": true}
	}
	cases := []struct {
		name string
		body []byte
	}{
		{"good", body([]map[string]any{m("alertname", "worker_failure", false), m("worker_name", "w1|w2", true)}, now, now.Add(time.Hour))},
		{"no matchers", body([]map[string]any{}, now, now.Add(time.Hour))},
		{"end before start", body([]map[string]any{m("alertname", "x", false)}, now.Add(time.Hour), now)},
		{"end in the past", body([]map[string]any{m("alertname", "x", false)}, now.Add(-2*time.Hour), now.Add(-time.Hour))},
		{"bad regex", body([]map[string]any{m("alertname", "(", true)}, now, now.Add(time.Hour))},
		{"matches everything", body([]map[string]any{m("alertname", ".*", true)}, now, now.Add(time.Hour))},
		{"bad label name", body([]map[string]any{m("worker.name", "w1", false)}, now, now.Add(time.Hour))},
		{"missing fields", []byte(`{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2030-01-01T00:00:00Z","endsAt":"2031-01-01T00:00:00Z","createdBy":"x"}`)},
		{"matcher without isRegex", []byte(`{"matchers":[{"name":"a","value":"b"}],"startsAt":"2030-01-01T00:00:00Z","endsAt":"2031-01-01T00:00:00Z","createdBy":"x","comment":"y"}`)},
		{"not JSON", []byte(`{`)},
		{"unknown id", []byte(`{"id":"00000000-0000-4000-8000-000000000000","matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2030-01-01T00:00:00Z","endsAt":"2031-01-01T00:00:00Z","createdBy":"x","comment":"y"}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			amCode, amBody := send(t, http.MethodPost, am.URL+silencesPath, tc.body)
			code, got := send(t, http.MethodPost, h.url+silencesPath, tc.body)
			assert.Equal(t, amCode, code, "Alertmanager answered %d %s; the extension %d %s", amCode, amBody, code, got)
			if amCode != http.StatusOK {
				amShape, amMsg := refusal(t, amBody)
				shape, msg := refusal(t, got)
				assert.Equal(t, amShape, shape, "the same shape (JSON string, or the same {code})")
				if amShape == 0 {
					assert.Equal(t, amMsg, msg, "a handler's message is Alertmanager's word for word")
				}
			}
		})
	}

	// The listing: the same fields, states and matchers.
	var amList, list []map[string]any
	_, raw := send(t, http.MethodGet, am.URL+silencesPath, nil)
	require.NoError(t, json.Unmarshal(raw, &amList))
	_, raw = send(t, http.MethodGet, h.url+silencesPath, nil)
	require.NoError(t, json.Unmarshal(raw, &list))
	require.Len(t, amList, 1)
	require.Len(t, list, 1)
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		return out
	}
	assert.ElementsMatch(t, keys(amList[0]), keys(list[0]))
	assert.Equal(t, amList[0]["matchers"], list[0]["matchers"])
	assert.Equal(t, amList[0]["status"], list[0]["status"])

	// Reads: an unknown id, an id that is no UUID, a bad filter, a filter.
	for _, path := range []string{
		silencePath + "00000000-0000-4000-8000-000000000000", silencePath + "nope", silencesPath + "?filter=%7Bbad",
		silencesPath + "?filter=alertname%3D%22worker_failure%22", silencesPath + "?filter=alertname%3D%22other%22",
	} {
		amCode, amBody := send(t, http.MethodGet, am.URL+path, nil)
		code, got := send(t, http.MethodGet, h.url+path, nil)
		assert.Equal(t, amCode, code, "GET %s: Alertmanager %d %s; the extension %d %s", path, amCode, amBody, code, got)
		var amAny, gotAny any
		if json.Unmarshal(amBody, &amAny) == nil && json.Unmarshal(got, &gotAny) == nil {
			if list, ok := amAny.([]any); ok {
				assert.Len(t, gotAny, len(list), "GET %s lists as many silences", path)
			}
		}
	}
	// DELETE of an unknown silence is the one deliberate difference: 0.25 answers 500.
	code, _ := send(t, http.MethodDelete, h.url+silencePath+"00000000-0000-4000-8000-000000000000", nil)
	assert.Equal(t, http.StatusNotFound, code)
}
