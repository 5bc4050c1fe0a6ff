package silencesextension

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertmanagertest"
)

// amtool is the real amtool (Debian's prometheus-alertmanager, 0.25) against the extension.
func (h *harness) amtool(args ...string) string {
	h.t.Helper()
	out, err := alertmanagertest.Amtool(h.t, h.url, args...)
	require.NoError(h.t, err, "amtool %s", strings.Join(args, " "))
	return strings.TrimSpace(out)
}

// amtoolSilence is what `amtool silence query -o json` prints for one silence.
type amtoolSilence struct {
	ID       string `json:"id"`
	Matchers []struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
		IsEqual bool   `json:"isEqual"`
	} `json:"matchers"`
	CreatedBy string `json:"createdBy"`
	Comment   string `json:"comment"`
	EndsAt    string `json:"endsAt"`
	Status    struct {
		State string `json:"state"`
	} `json:"status"`
}

func (h *harness) amtoolQuery(args ...string) []amtoolSilence {
	h.t.Helper()
	var out []amtoolSilence
	require.NoError(h.t, json.Unmarshal([]byte(h.amtool(append([]string{"silence", "query", "-o", "json"}, args...)...)), &out))
	return out
}

// The three commands operators use, with the real amtool and nothing configured for it but
// --alertmanager.url: add (four matcher operators), query (all, filtered, quiet, expired)
// and expire.
func TestAmtoolAddQueryExpire(t *testing.T) {
	h := start(t, nil, clockwork.NewRealClock(), nil)

	id := h.amtool("silence", "add", "--author=ops", "--comment=w1 maintenance", "--duration=2h",
		"alertname=worker_failure", `worker_name=~"w1|w2"`, `severity!="info"`, `team!~"web.*"`)
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id, "amtool prints the new silence's uuid")
	// amtool's shorthand: a first argument without an operator is the alertname.
	other := h.amtool("silence", "add", "--comment=bus down", "bus_silent")

	got := h.amtoolQuery()
	require.Len(t, got, 2)
	byID := map[string]amtoolSilence{got[0].ID: got[0], got[1].ID: got[1]}
	s := byID[id]
	assert.Equal(t, "ops", s.CreatedBy)
	assert.Equal(t, "w1 maintenance", s.Comment)
	assert.Equal(t, "active", s.Status.State)
	require.Len(t, s.Matchers, 4)
	ops := map[string]string{}
	for _, m := range s.Matchers {
		ops[m.Name] = map[[2]bool]string{{false, true}: "=", {true, true}: "=~", {false, false}: "!=", {true, false}: "!~"}[[2]bool{m.IsRegex, m.IsEqual}] + m.Value
	}
	assert.Equal(t, map[string]string{"alertname": "=worker_failure", "worker_name": "=~w1|w2", "severity": "!=info", "team": "!~web.*"}, ops)
	assert.Equal(t, "=bus_silent", func() string {
		m := byID[other].Matchers[0]
		return "=" + m.Value
	}())

	// The silence matches alerts as Alertmanager's would: every matcher, regexes anchored.
	labels := map[string]string{"alertname": "worker_failure", "worker_name": "w1", "severity": "error"}
	assert.Equal(t, []string{id}, h.ext.Silenced(labels, time.Now()))
	for _, change := range []map[string]string{
		{"worker_name": "w10"}, {"severity": "info"}, {"team": "web-frontend"}, {"alertname": "worker_failure_x"},
	} {
		l := map[string]string{}
		for k, v := range labels {
			l[k] = v
		}
		for k, v := range change {
			l[k] = v
		}
		assert.Empty(t, h.ext.Silenced(l, time.Now()), "%v", change)
	}

	// Filters select silences by their matchers, as Alertmanager's do.
	assert.Equal(t, []string{id}, strings.Fields(h.amtool("silence", "query", "-q", "alertname=worker_failure")))
	assert.Equal(t, []string{other}, strings.Fields(h.amtool("silence", "query", "-q", "bus_silent")))
	assert.Empty(t, h.amtool("silence", "query", "-q", "alertname=nothing"))

	h.amtool("silence", "expire", id)
	assert.Equal(t, []string{other}, strings.Fields(h.amtool("silence", "query", "-q")), "an expired silence is not listed as active")
	expired := h.amtoolQuery("--expired")
	require.Len(t, expired, 1)
	assert.Equal(t, id, expired[0].ID)
	assert.Equal(t, "expired", expired[0].Status.State)
	assert.Empty(t, h.ext.Silenced(labels, time.Now()), "expired at once")

	_, err := alertmanagertest.Amtool(t, h.url, "silence", "expire", "00000000-0000-4000-8000-000000000000")
	assert.Error(t, err, "expiring an unknown silence fails")

	assert.Equal(t, int64(1), h.metric("otelcol_extension_silences", "state", "active"))
	assert.Equal(t, int64(1), h.metric("otelcol_extension_silences", "state", "expired"))
	assert.Equal(t, int64(1), h.metric("otelcol_extension_silences_refused", "reason", "not_found", "extension", "silences"))
}

// refusal is an error answer of the API, in either of Alertmanager's shapes: a JSON string
// (its handlers' 400s and 404s) or {"code": ..., "message": ...} (its OpenAPI layer: an
// unparseable body, 400; a schema violation, 422).
func refusal(t *testing.T, body []byte) (code int, msg string) {
	t.Helper()
	if json.Unmarshal(body, &msg) == nil {
		return 0, msg
	}
	var obj struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	require.NoError(t, json.Unmarshal(body, &obj), "neither a JSON string nor {code, message}: %s", body)
	require.NotZero(t, obj.Code)
	return obj.Code, obj.Message
}

// Malformed silences are refused as Alertmanager 0.25 refuses them (TestAnswersLikeTheRealAlertmanager
// checks the statuses against the real one) and change nothing.
func TestMalformedSilencesAreRefusedAndChangeNothing(t *testing.T) {
	c := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	h := start(t, nil, c, nil)
	now := c.Now()
	kept := h.post(silenceBody("", now, now.Add(time.Hour), eq("alertname", "worker_failure")))
	before := h.list()

	for _, tc := range []struct {
		name     string
		body     any
		status   int
		code     int // the {code, message} shape's code; 0 for a JSON string
		contains string
	}{
		{"no matchers", silenceBody("", now, now.Add(time.Hour)), 422, 612, "matchers in body should have at least 1 items"},
		{"end before start", silenceBody("", now.Add(time.Hour), now, eq("alertname", "x")), 400, 0, "Failed to create silence: start time must be before end time"},
		{"end equals start", silenceBody("", now, now, eq("alertname", "x")), 400, 0, "start time must be before end time"},
		{"end in the past", silenceBody("", now.Add(-2*time.Hour), now.Add(-time.Hour), eq("alertname", "x")), 400, 0, "Failed to create silence: end time can't be in the past"},
		{"bad regex", silenceBody("", now, now.Add(time.Hour), Matcher{Name: "alertname", Value: "(", IsRegex: true, IsEqual: true}), 400, 0,
			`silence invalid: invalid label matcher 0: invalid regular expression "("`},
		{"bad label name", silenceBody("", now, now.Add(time.Hour), eq("worker.name", "w1")), 400, 0, `invalid label name "worker.name"`},
		{"matches everything", silenceBody("", now, now.Add(time.Hour), Matcher{Name: "alertname", Value: ".*", IsRegex: true, IsEqual: true}), 400, 0,
			"silence invalid: at least one matcher must not match the empty string"},
		{"missing fields", map[string]any{"matchers": []Matcher{eq("alertname", "x")}}, 422, 602, "comment in body is required"},
		{"matcher without isRegex", map[string]any{"matchers": []map[string]any{{"name": "alertname", "value": "x"}},
			"startsAt": now, "endsAt": now.Add(time.Hour), "createdBy": "a", "comment": "b"}, 422, 602, "matchers.0.isRegex in body is required"},
		{"not JSON", "{", 400, 400, "parsing silence body"},
		{"update of an unknown silence", silenceBody("00000000-0000-4000-8000-000000000000", now, now.Add(time.Hour), eq("alertname", "x")), 404, 0, "silence not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := h.do(http.MethodPost, silencesPath, tc.body)
			assert.Equal(t, tc.status, status)
			code, msg := refusal(t, body)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, msg, tc.contains)
		})
	}

	const unknown = "00000000-0000-4000-8000-000000000000"
	status, body := h.do(http.MethodDelete, silencePath+unknown, nil)
	assert.Equal(t, http.StatusNotFound, status)
	_, msg := refusal(t, body)
	assert.Equal(t, "silence not found", msg)
	status, body = h.do(http.MethodGet, silencePath+unknown, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Empty(t, body, "Alertmanager's 404 for GET has no body")
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		status, body = h.do(method, silencePath+"no-such-id", nil)
		assert.Equal(t, http.StatusUnprocessableEntity, status, method)
		code, msg := refusal(t, body)
		assert.Equal(t, 601, code)
		assert.Equal(t, `silenceID in path must be of type uuid: "no-such-id"`, msg)
	}
	status, body = h.do(http.MethodGet, silencesPath+"?filter=%7Bbad", nil)
	assert.Equal(t, http.StatusBadRequest, status)
	_, msg = refusal(t, body)
	assert.Equal(t, "bad matcher format: {bad", msg)

	assert.Equal(t, before, h.list(), "nothing changed")
	status, body = h.do(http.MethodGet, silencePath+kept, nil)
	assert.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, int64(10+2+1), h.metric("otelcol_extension_silences_refused", "reason", "invalid"))
	assert.Equal(t, int64(3), h.metric("otelcol_extension_silences_refused", "reason", "not_found"))
}

// POST with an existing id follows Alertmanager 0.25: a change that rewrites no history is made
// in place; any other expires the old silence and creates a new one.
func TestUpdateSemantics(t *testing.T) {
	c := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	h := start(t, nil, c, nil)
	now := c.Now()
	m := eq("alertname", "worker_failure")

	active := h.post(silenceBody("", now, now.Add(time.Hour), m))
	c.Advance(time.Minute)
	// Longer, same start and matchers: in place.
	assert.Equal(t, active, h.post(silenceBody(active, now, now.Add(2*time.Hour), m)))
	// Other matchers: the old one expires, a new one replaces it.
	replaced := h.post(silenceBody(active, now, now.Add(2*time.Hour), eq("alertname", "bus_silent")))
	assert.NotEqual(t, active, replaced)
	states := map[string]string{}
	for _, s := range h.list() {
		states[s.ID] = s.Status.State
	}
	assert.Equal(t, map[string]string{active: "expired", replaced: "active"}, states)

	// A pending silence moved later: in place. Moved to start now: replaced (the pending one expires).
	pending := h.post(silenceBody("", now.Add(time.Hour), now.Add(2*time.Hour), m))
	assert.Equal(t, pending, h.post(silenceBody(pending, now.Add(90*time.Minute), now.Add(3*time.Hour), m)))
	started := h.post(silenceBody(pending, c.Now().Add(-time.Minute), now.Add(3*time.Hour), m))
	assert.NotEqual(t, pending, started)
	code, body := h.do(http.MethodGet, silencePath+started, nil)
	require.Equal(t, http.StatusOK, code)
	var got gettableJSON
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, c.Now(), got.StartsAt, "a new silence starting in the past starts now")
	assert.Equal(t, "active", got.Status.State)
}
