package agentsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisPublisher PUBLISHes each message on its channel, as the framework's event bus does;
// a batch goes out as one pipeline, in order.
type RedisPublisher struct {
	client *redis.Client
}

// NewRedisPublisher connects to the Redis at addr (host:port).
func NewRedisPublisher(addr, password string) *RedisPublisher {
	return &RedisPublisher{client: redis.NewClient(&redis.Options{
		Addr:     addr,
		Password: password,
		// A run is bounded; an unreachable Redis should show up at once, not after long retries.
		DialTimeout:  2 * time.Second,
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
		MaxRetries:   1,
	})}
}

// Ping checks that Redis answers.
func (p *RedisPublisher) Ping(ctx context.Context) error { return p.client.Ping(ctx).Err() }

// Publish sends batch in one pipeline.
func (p *RedisPublisher) Publish(ctx context.Context, batch []Message) (int, error) {
	if len(batch) == 0 {
		return 0, nil
	}
	pipe := p.client.Pipeline()
	cmds := make([]*redis.IntCmd, len(batch))
	for i, m := range batch {
		cmds[i] = pipe.Publish(ctx, m.Channel, m.Body)
	}
	_, err := pipe.Exec(ctx)
	if err == nil {
		return 0, nil
	}
	failed := 0
	for _, c := range cmds {
		if c.Err() != nil {
			failed++
		}
	}
	if failed == 0 {
		failed = len(batch)
	}
	return failed, fmt.Errorf("redis publish: %w", err)
}

// Close closes the connection pool.
func (p *RedisPublisher) Close() error { return p.client.Close() }

// HTTPPublisher POSTs each batch as one JSON array to the receiver's push endpoint (POST /v1/events).
type HTTPPublisher struct {
	url    string
	client *http.Client
}

// NewHTTPPublisher posts to rawURL; a URL without a path gets /v1/events.
func NewHTTPPublisher(rawURL string) (*HTTPPublisher, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("http: %q is not an http(s) URL", rawURL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/events"
	}
	return &HTTPPublisher{url: u.String(), client: &http.Client{Timeout: 10 * time.Second}}, nil
}

// URL is where events are posted.
func (p *HTTPPublisher) URL() string { return p.url }

// Publish posts batch as a JSON array; a 200 answer means every event was accepted, and the
// receiver's "rejected" count says how many were not.
func (p *HTTPPublisher) Publish(ctx context.Context, batch []Message) (int, error) {
	if len(batch) == 0 {
		return 0, nil
	}
	var body bytes.Buffer
	body.WriteByte('[')
	for i, m := range batch {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(m.Body)
	}
	body.WriteByte(']')
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, &body)
	if err != nil {
		return len(batch), err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return len(batch), fmt.Errorf("http push: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return len(batch), fmt.Errorf("http push: %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	var counts struct {
		Rejected int `json:"rejected"`
	}
	if jsonErr := json.Unmarshal(answer, &counts); jsonErr == nil && counts.Rejected > 0 {
		return counts.Rejected, fmt.Errorf("http push: receiver rejected %d of %d events: %s", counts.Rejected, len(batch), strings.TrimSpace(string(answer)))
	}
	return 0, nil
}
