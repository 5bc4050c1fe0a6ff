package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
)

// maxResponseBody bounds how much of an API's answer is read; only its error text is kept.
const (
	maxResponseBody = 64 << 10
	maxAPIErrorText = 512
)

// Response is an HTTP API's answer to one notification.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// APIText is the response body as one short line, for errors and logs.
func (r Response) APIText() string {
	text := strings.Join(strings.Fields(string(r.Body)), " ")
	if text == "" {
		text = http.StatusText(r.Status)
	}
	return TruncateBytes(text, maxAPIErrorText)
}

// NewHTTPClient returns a client whose every request is bounded by timeout (0: no bound).
// Redirects are not followed: a webhook that redirects is misconfigured, and following it
// would resend the payload somewhere the operator did not name.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// PostJSON posts body to endpoint. A transport error is returned without the URL (Go's url.Error
// prints it, and a webhook URL is a secret), and is retryable.
func PostJSON(ctx context.Context, client *http.Client, endpoint string, body []byte) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return Response{}, consumererror.NewPermanent(errors.New("cannot build the request: invalid endpoint"))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, withoutURL(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody)) // lets the connection be reused
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// withoutURL strips the URL that url.Error carries, keeping the operation and the cause.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Errorf("POST failed: %w", uerr.Err)
	}
	return err
}

// ErrorForStatus turns a non-success answer into the error the dispatcher acts on: 429 and 5xx
// are retried (after Retry-After when the API sends one), any other status is permanent.
func ErrorForStatus(destination string, resp Response, now time.Time) error {
	err := fmt.Errorf("%s answered HTTP %d: %s", destination, resp.Status, resp.APIText())
	if resp.Status == http.StatusTooManyRequests || resp.Status >= 500 {
		if delay, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			return &ThrottleError{Err: err, Delay: delay}
		}
		return err
	}
	return consumererror.NewPermanent(err)
}

// ThrottleError is a retryable failure whose destination asked for a delay (Retry-After): the
// group is tried again no sooner, and the destination's rate limiter holds every notifier
// sending there for as long.
type ThrottleError struct {
	Err   error
	Delay time.Duration
}

func (e *ThrottleError) Error() string { return e.Err.Error() }
func (e *ThrottleError) Unwrap() error { return e.Err }

// RetryAfter is the delay a ThrottleError in err's chain asks for.
func RetryAfter(err error) (time.Duration, bool) {
	var t *ThrottleError
	if errors.As(err, &t) {
		return t.Delay, true
	}
	return 0, false
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func ParseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(value, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}
