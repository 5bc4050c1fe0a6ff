package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const routingKey = "0123456789abcdef0123456789abcdef"

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestSink(t *testing.T) (*sink, *httptest.Server, *syncBuffer) {
	out := &syncBuffer{}
	s := newSink(out)
	s.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv, out
}

func post(t *testing.T, url, contentType, body string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// slackAlert is a message in the slack exporter's shape for a group of one alert.
func slackAlert(state, name, severity, text string) string {
	icon, head := "🚨", "[FIRING:1]"
	if state == "RESOLVED" {
		icon, head = "✅", "[RESOLVED]"
	}
	title := icon + " " + head + " " + name
	b, _ := json.Marshal(map[string]any{
		"text": title,
		"attachments": []map[string]any{{
			"fallback": title, "color": "#ff0000", "title": title, "text": text,
			"fields": []map[string]any{
				{"title": "Severity", "value": severity, "short": true},
				{"title": "Time", "value": "2026-01-02T03:04:05Z", "short": true},
				{"title": "Value", "value": "1", "short": true},
				{"title": "worker.name", "value": "process_payment", "short": true},
			},
		}},
	})
	return string(b)
}

func TestSlackMessagesArePrintedAndAnsweredOK(t *testing.T) {
	s, srv, out := newTestSink(t)
	hook := srv.URL + "/services/T000/B000/secret"

	code, body, _ := post(t, hook, "application/json", slackAlert("FIRING", "worker_failure", "error", "Worker process_payment has failed"))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok", body)
	code, body, _ = post(t, hook, "application/json; charset=utf-8", slackAlert("RESOLVED", "worker_failure", "error", "Worker process_payment has failed"))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok", body)
	code, _, _ = post(t, hook, "application/json", `{"text":"hello\nworld"}`)
	assert.Equal(t, http.StatusOK, code)

	assert.Equal(t,
		"03:04:05 [slack] FIRING worker_failure (error, value 1) Worker process_payment has failed\n"+
			"03:04:05 [slack] RESOLVED worker_failure (error) Worker process_payment has failed\n"+
			"03:04:05 [slack] hello world\n", out.String())
	assert.Equal(t, Counts{SlackFiring: 1, SlackResolved: 1, SlackOther: 1}, s.Counts())
}

func TestSlackContractViolationsAreRejected(t *testing.T) {
	s, srv, out := newTestSink(t)
	hook := srv.URL + "/services/x"
	for _, c := range []struct {
		contentType, body string
		code              int
		reason            string
	}{
		{"text/plain", `{"text":"hi"}`, 400, "invalid_payload"},
		{"application/json", `{"text":`, 400, "invalid_payload"},
		{"application/json", `{"username":"bot"}`, 400, "no_text"},
		{"application/json", `{"text":"` + strings.Repeat("x", slackMaxBody) + `"}`, 413, "request_too_large"},
	} {
		code, body, _ := post(t, hook, c.contentType, c.body)
		assert.Equal(t, c.code, code, c.reason)
		assert.Equal(t, c.reason, body)
	}
	resp, err := http.Get(hook)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, 4, s.Counts().Rejected)
	assert.Contains(t, out.String(), "[slack] REJECTED 400 no_text")
}

func TestPagerDutyEventsAreAcceptedAndPrinted(t *testing.T) {
	s, srv, out := newTestSink(t)
	url := srv.URL + "/v2/enqueue"
	trigger := `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"3f2b8c4e9a1d4e7bb0c2",` +
		`"payload":{"summary":"[worker_failure] Worker process_payment has failed","source":"multiagents-framework","severity":"error"}}`
	code, body, hdr := post(t, url, "application/json", trigger)
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, "application/json", hdr.Get("Content-Type"))
	var answer map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &answer))
	assert.Equal(t, map[string]string{"status": "success", "message": "Event processed", "dedup_key": "3f2b8c4e9a1d4e7bb0c2"}, answer)

	code, _, _ = post(t, url, "application/json", `{"routing_key":"`+routingKey+`","event_action":"resolve","dedup_key":"3f2b8c4e9a1d4e7bb0c2"}`)
	assert.Equal(t, http.StatusAccepted, code)

	// Without a dedup_key, PagerDuty makes one up and returns it.
	code, body, _ = post(t, url, "application/json", `{"routing_key":"`+routingKey+`","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}`)
	assert.Equal(t, http.StatusAccepted, code)
	require.NoError(t, json.Unmarshal([]byte(body), &answer))
	assert.Regexp(t, `^[0-9a-f]{32}$`, answer["dedup_key"])

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, "03:04:05 [pagerduty] trigger dedup=3f2b8c4e9a1d4e7b… severity=error summary=[worker_failure] Worker process_payment has failed", lines[0])
	assert.Equal(t, "03:04:05 [pagerduty] resolve dedup=3f2b8c4e9a1d4e7b… (incident: [worker_failure] Worker process_payment has failed)", lines[1])
	assert.Equal(t, Counts{PDTrigger: 2, PDResolve: 1}, s.Counts())
}

func TestPagerDutyContractViolationsAreRejected(t *testing.T) {
	s, srv, _ := newTestSink(t)
	url := srv.URL + "/v2/enqueue"
	for want, body := range map[string]string{
		"body is not a JSON object":         `not json`,
		"'routing_key' must be 32":          `{"routing_key":"short","event_action":"resolve","dedup_key":"k"}`,
		"'event_action' must be":            `{"routing_key":"` + routingKey + `","event_action":"explode"}`,
		"'payload' is missing":              `{"routing_key":"` + routingKey + `","event_action":"trigger"}`,
		"'payload.summary' is missing":      `{"routing_key":"` + routingKey + `","event_action":"trigger","payload":{"source":"x","severity":"error"}}`,
		"'payload.source' is missing":       `{"routing_key":"` + routingKey + `","event_action":"trigger","payload":{"summary":"s","severity":"error"}}`,
		"'payload.severity' must be one of": `{"routing_key":"` + routingKey + `","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"fatal"}}`,
		"'dedup_key' is required":           `{"routing_key":"` + routingKey + `","event_action":"resolve"}`,
	} {
		code, answer, _ := post(t, url, "application/json", body)
		assert.Equal(t, http.StatusBadRequest, code, want)
		var parsed struct {
			Status string   `json:"status"`
			Errors []string `json:"errors"`
		}
		require.NoError(t, json.Unmarshal([]byte(answer), &parsed), answer)
		assert.Equal(t, "invalid event", parsed.Status)
		require.Len(t, parsed.Errors, 1)
		assert.Contains(t, parsed.Errors[0], want)
	}
	code, _, _ := post(t, url, "application/json", `{"routing_key":"`+routingKey+`","x":"`+strings.Repeat("a", pagerDutyMaxBody)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Equal(t, 9, s.Counts().Rejected)
}

func TestRememberedSummariesAreBounded(t *testing.T) {
	s := newSink(io.Discard)
	for i := 0; i < maxRemembered+5; i++ {
		s.remember(string(rune('a'+i%26))+strings.Repeat("k", i/26), "summary")
	}
	assert.Len(t, s.summaries, maxRemembered)
	assert.Len(t, s.order, maxRemembered)
	assert.Equal(t, 5, s.counts.Forgotten)
}

var listening = regexp.MustCompile(`PagerDuty (http://127\.0\.0\.1:\d+)/v2/enqueue`)

func TestRunServesUntilStoppedAndSummarises(t *testing.T) {
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- run(ctx, []string{"--listen", "127.0.0.1:0"}, out, io.Discard) }()
	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond)

	code, body, _ := post(t, base+"/services/demo", "application/json", slackAlert("FIRING", "high_error_rate", "warning", "Error rate of process_payment exceeded 10%"))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok", body)
	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	status, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "notifysink: 1 Slack messages, 0 PagerDuty events, 0 rejected\n", string(status))

	cancel()
	select {
	case c := <-done:
		assert.Equal(t, 0, c)
	case <-time.After(10 * time.Second):
		t.Fatal("notifysink did not stop")
	}
	assert.Contains(t, out.String(), "[slack] FIRING high_error_rate (warning, value 1) Error rate of process_payment exceeded 10%")
	assert.Contains(t, out.String(), "[sink] received: Slack 1 firing, 0 resolved, 0 other; PagerDuty 0 trigger, 0 resolve, 0 acknowledge; 0 rejected")
}

func TestRunRejectsABusyAddress(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--listen", strings.TrimPrefix(srv.URL, "http://")}, io.Discard, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "--listen")
}

// A group of several alerts prints its counts and its list on one line.
func TestSlackGroupMessagesArePrintedOnOneLine(t *testing.T) {
	s, srv, out := newTestSink(t)
	title := "🚨 [FIRING:2] worker_failure (still firing)"
	b, _ := json.Marshal(map[string]any{
		"text": title,
		"attachments": []map[string]any{{
			"fallback": title, "color": "#ff0000", "title": title,
			"text": "*Firing*\n• *worker_failure* worker.name=w1: Worker w1 has failed\n• *worker_failure* worker.name=w2: Worker w2 has failed\n\n*Resolved*\n• *worker_failure* worker.name=w3: Worker w3 has failed",
			"fields": []map[string]any{
				{"title": "Severity", "value": "error", "short": true},
				{"title": "Firing", "value": "2", "short": true},
				{"title": "Resolved", "value": "1", "short": true},
			},
		}},
	})
	code, _, _ := post(t, srv.URL+"/services/demo", "application/json", string(b))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "03:04:05 [slack] FIRING worker_failure (error, 2 firing, 1 resolved, still firing) "+
		"Firing • worker_failure worker.name=w1: Worker w1 has failed • worker_failure worker.name=w2: Worker w2 has failed "+
		"Resolved • worker_failure worker.name=w3: Worker w3 has failed\n", out.String())
	assert.Equal(t, Counts{SlackFiring: 1}, s.Counts())
}
