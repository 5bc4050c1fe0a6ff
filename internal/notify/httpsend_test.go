package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d, ok := ParseRetryAfter("2", now)
	assert.True(t, ok)
	assert.Equal(t, 2*time.Second, d)

	d, ok = ParseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Equal(t, 90*time.Second, d)

	d, ok = ParseRetryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Zero(t, d, "a date in the past means now")

	for _, bad := range []string{"", "soon", "-1", "1.5", "99999999999"} {
		_, ok = ParseRetryAfter(bad, now)
		assert.False(t, ok, bad)
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"2", "0", "Wed, 21 Oct 2015 07:28:00 GMT", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := ParseRetryAfter(s, t0); ok && d < 0 {
			t.Fatalf("negative delay %s for %q", d, s)
		}
	})
}

func TestErrorForStatus(t *testing.T) {
	now := time.Now()
	resp := func(status int, retryAfter, body string) Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return Response{Status: status, Header: h, Body: []byte(body)}
	}
	err := ErrorForStatus("slack", resp(400, "", "invalid_payload\n"), now)
	assert.True(t, consumererror.IsPermanent(err))
	assert.Contains(t, err.Error(), "slack answered HTTP 400: invalid_payload")

	for _, status := range []int{403, 404, 410, 413} {
		assert.True(t, consumererror.IsPermanent(ErrorForStatus("slack", resp(status, "", ""), now)), status)
	}
	err = ErrorForStatus("slack", resp(429, "2", "rate_limited"), now)
	assert.False(t, consumererror.IsPermanent(err))
	delay, ok := RetryAfter(err)
	assert.True(t, ok, "429 with Retry-After asks for a delay")
	assert.Equal(t, 2*time.Second, delay)
	err = ErrorForStatus("pagerduty", resp(503, "", ""), now)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Contains(t, err.Error(), "Service Unavailable")
}

func TestPostJSONHidesTheURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"success"}`))
	}))
	secretURL := srv.URL + "/services/T000/B000/SECRETSECRET"
	resp, err := PostJSON(context.Background(), NewHTTPClient(time.Second), secretURL, []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusAccepted, resp.Status)
	srv.Close()

	_, err = PostJSON(context.Background(), NewHTTPClient(time.Second), secretURL, []byte(`{}`))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SECRETSECRET")
	assert.False(t, consumererror.IsPermanent(err), "a transport failure is retried")
}
