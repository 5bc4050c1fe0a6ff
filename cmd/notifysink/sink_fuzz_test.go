package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSink posts arbitrary bodies to both endpoints: the sink never panics and answers only
// with the codes the real services use.
func FuzzSink(f *testing.F) {
	for _, seed := range []string{
		slackAlert("FIRING", "worker_failure", "error", "Worker process_payment has failed"),
		`{"text":"hi"}`, `{"attachments":[{"title":"x [RESOLVED]","fields":[{"title":"Severity"}]}]}`,
		`{"routing_key":"` + routingKey + `","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}`,
		`{"routing_key":"` + routingKey + `","event_action":"resolve","dedup_key":"k"}`,
		`{"payload":null}`, `[]`, `null`, ``, `{"attachments":null,"blocks":[1]}`,
	} {
		f.Add("/services/x", seed)
		f.Add("/v2/enqueue", seed)
	}
	s := newSink(io.Discard)
	allowed := map[int]bool{200: true, 202: true, 400: true, 413: true}
	f.Fuzz(func(t *testing.T, path, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest(http.MethodPost, "http://sink"+"/", strings.NewReader(body))
		req.URL.Path = path
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if !allowed[rec.Code] {
			t.Fatalf("status %d for %q %q", rec.Code, path, body)
		}
	})
}
