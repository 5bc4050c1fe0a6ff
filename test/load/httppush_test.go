//go:build loadtest

package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

const (
	// eventsPerRequest is the batch of one POST, for our client and for telemetrygen (--batch-size).
	eventsPerRequest = 100
	// pushTimeLimit bounds each saturation run whatever the machine.
	pushTimeLimit = 120 * time.Second
)

// ecommerceSteps are the four steps of the guide's e-commerce workflow.
var ecommerceSteps = []string{"validate_order", "check_inventory", "process_payment", "send_confirmation"}

// TestHTTPPushThroughput saturates the receiver's POST /v1/events with realistic framework events
// and, on a fresh collector of the same binary and config, the standard otlp receiver's OTLP/HTTP
// /v1/logs with the same number of log records — from telemetrygen (the baseline) and from
// this same client (same batch size, same concurrency, the event JSON as the log body).
func TestHTTPPushThroughput(t *testing.T) {
	total := envInt("BENCH_HTTP_EVENTS", map[bool]int{true: 40_000, false: 500_000}[quick()])
	workers := envInt("BENCH_HTTP_WORKERS", 4)
	total -= total % (eventsPerRequest * workers)
	bodies, events := eventBodies(total)
	t.Logf("%d events (%d workflows of 10 events, %d per request), %d concurrent clients", events, events/10, eventsPerRequest, workers)

	// The receiver.
	recv := startPushCollector(t)
	url := "http://" + recv.httpAddr + "/v1/events"
	waitProfile := profileDuring(t, recv.collector, "http-push-receiver", 3)
	r := saturate(t, recv, bodies, workers, func(client *http.Client, body []byte) (int, error) {
		return post(client, url, "application/json", body, func(answer []byte) (int, error) {
			var resp struct{ Accepted, Rejected int }
			if err := json.Unmarshal(answer, &resp); err != nil {
				return 0, err
			}
			if resp.Rejected > 0 {
				return resp.Accepted, fmt.Errorf("%d events rejected: %s", resp.Rejected, answer)
			}
			return resp.Accepted, nil
		})
	})
	waitProfile()
	require.Equal(t, events, r.accepted, "the receiver accepted every event")
	recv.stop(t)

	// Baseline 1: the otlp receiver, log records from telemetrygen.
	tg := startPushCollector(t)
	tgRun := runTelemetrygen(t, tg, events, workers)
	tg.stop(t)

	// Baseline 2: the otlp receiver, the same client as the receiver's run, protobuf over HTTP.
	same := startPushCollector(t)
	logBodies := otlpBodies(bodies)
	otlpURL := "http://" + same.ports.OTLPHTTP + "/v1/logs"
	o := saturate(t, same, logBodies, workers, func(client *http.Client, body []byte) (int, error) {
		return post(client, otlpURL, "application/x-protobuf", body, func([]byte) (int, error) { return eventsPerRequest, nil })
	})
	require.Equal(t, events, o.accepted)
	require.Equal(t, float64(events), acceptedLogRecords(t, same), "the otlp receiver counted every record")
	same.stop(t)

	t.Logf("receiver /v1/events:             %8.0f events/s  (%d in %.2f s, collector CPU %.2f s: %.0f events per CPU-second)",
		r.rate(), r.accepted, r.elapsed.Seconds(), r.cpu, float64(r.accepted)/r.cpu)
	t.Logf("otlp /v1/logs from telemetrygen: %8.0f records/s (%d in %.2f s, collector CPU %.2f s: %.0f records per CPU-second)",
		tgRun.rate(), tgRun.accepted, tgRun.elapsed.Seconds(), tgRun.cpu, float64(tgRun.accepted)/tgRun.cpu)
	t.Logf("otlp /v1/logs from this client:  %8.0f records/s (%d in %.2f s, collector CPU %.2f s: %.0f records per CPU-second)",
		o.rate(), o.accepted, o.elapsed.Seconds(), o.cpu, float64(o.accepted)/o.cpu)
	result(t, "http_push", "events", events, "workers", workers, "batch", eventsPerRequest,
		"receiver_eps", int(r.rate()), "receiver_cpu_s", fmt.Sprintf("%.2f", r.cpu),
		"telemetrygen_rps", int(tgRun.rate()), "telemetrygen_cpu_s", fmt.Sprintf("%.2f", tgRun.cpu),
		"ratio", fmt.Sprintf("%.2f", r.rate()/tgRun.rate()),
		"sameclient_rps", int(o.rate()), "sameclient_cpu_s", fmt.Sprintf("%.2f", o.cpu),
		"ratio_sameclient", fmt.Sprintf("%.2f", r.rate()/o.rate()))
}

// pushCollector is the shipped config with the receiver's HTTP push on a free port, the otlp
// receiver added to the logs pipeline, and quiet exporters; the same for every run of the test.
type pushCollector struct {
	*collector
	httpAddr string
}

func startPushCollector(t *testing.T) *pushCollector {
	httpAddr := collectortest.FreeAddr(t)
	args := append([]string{
		"--set=receivers::multiagents::http::endpoint=" + httpAddr,
		"--set=service::pipelines::logs::receivers=[multiagents,otlp]",
	}, quietExporters...)
	c := startCollector(t, "", args)
	require.True(t, collectortest.Eventually(30*time.Second, 100*time.Millisecond, func() bool {
		resp, err := http.Get("http://" + httpAddr + "/v1/events")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}), "push endpoint never listened:\n%s", c.proc.Logs())
	return &pushCollector{collector: c, httpAddr: httpAddr}
}

// eventBodies renders total framework events (whole e-commerce workflows, each in one request so
// its events stay in order) as JSON-array request bodies, before any clock starts.
func eventBodies(total int) ([][]byte, int) {
	var bodies [][]byte
	var cur []agentsim.Message
	flush := func() {
		var b bytes.Buffer
		b.WriteByte('[')
		for i, m := range cur {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(m.Body)
		}
		b.WriteByte(']')
		bodies = append(bodies, b.Bytes())
		cur = cur[:0]
	}
	events := 0
	for events < total {
		w := agentsim.NewWorkflow("multiagent:", "ecommerce_order_processing")
		cur = append(cur, w.Started())
		for i, step := range ecommerceSteps {
			cmd, id := w.Command(step, 30, map[string]any{
				"order":         map[string]any{"id": fmt.Sprintf("ORDER-%d", events), "total_amount": 1059.97, "items": []any{map[string]any{"sku": "A-1", "qty": 2, "price": 499.99}}},
				"customer_name": "John Doe", "step": i,
			})
			cur = append(cur, cmd, w.Result(step, id, true, ""))
		}
		cur = append(cur, w.Completed())
		events += 10
		if len(cur) == eventsPerRequest {
			flush()
		}
	}
	if len(cur) > 0 {
		flush()
	}
	return bodies, events
}

// otlpBodies turns each events body into an OTLP/HTTP protobuf request of as many log records,
// each carrying one event's JSON as its body.
func otlpBodies(eventBodies [][]byte) [][]byte {
	out := make([][]byte, len(eventBodies))
	for i, body := range eventBodies {
		var events []json.RawMessage
		if err := json.Unmarshal(body, &events); err != nil {
			panic(err)
		}
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", "multiagents-loadclient")
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		now := pcommon.NewTimestampFromTime(time.Now())
		for _, ev := range events {
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(now)
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			lr.Body().SetStr(string(ev))
		}
		b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		if err != nil {
			panic(err)
		}
		out[i] = b
	}
	return out
}

type pushRun struct {
	accepted int
	elapsed  time.Duration
	cpu      float64 // collector user+system seconds during the run
}

func (r pushRun) rate() float64 { return float64(r.accepted) / r.elapsed.Seconds() }

// saturate sends every body once with `workers` concurrent clients as fast as answers come
// back, bounded by pushTimeLimit, and counts what the server accepted.
func saturate(t *testing.T, c *pushCollector, bodies [][]byte, workers int, send func(*http.Client, []byte) (int, error)) pushRun {
	t.Helper()
	var next, accepted atomic.Int64
	var firstErr atomic.Value
	pid := c.proc.PID()
	cpu0 := cpuSeconds(t, pid)
	start := time.Now()
	deadline := start.Add(pushTimeLimit)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= int64(len(bodies)) {
					return
				}
				n, err := send(client, bodies[i])
				accepted.Add(int64(n))
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	run := pushRun{accepted: int(accepted.Load()), elapsed: time.Since(start), cpu: cpuSeconds(t, pid) - cpu0}
	if err, _ := firstErr.Load().(error); err != nil {
		t.Errorf("push error: %v", err)
	}
	return run
}

// post sends one request and reads the count of accepted items from a 200 answer.
func post(client *http.Client, url, contentType string, body []byte, accepted func([]byte) (int, error)) (int, error) {
	resp, err := client.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", resp.Status, answer)
	}
	return accepted(answer)
}

// telemetrygen finds the telemetrygen binary: $TELEMETRYGEN, GOPATH/bin, or PATH.
func telemetrygen(t *testing.T) string {
	if p := os.Getenv("TELEMETRYGEN"); p != "" {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(string(bytes.TrimSpace(out)), "bin", "telemetrygen")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("telemetrygen")
	require.NoError(t, err, "telemetrygen not found: go install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@v0.161.0")
	return p
}

// runTelemetrygen sends records log records to the collector's OTLP/HTTP receiver from
// telemetrygen at full speed (--rate 0). It is timed at the collector, from the last moment its
// accepted-records counter read 0 to the first moment it read the full count (polled every
// 20 ms), so telemetrygen's own start-up and shutdown are not charged to the otlp receiver.
func runTelemetrygen(t *testing.T, c *pushCollector, records, workers int) pushRun {
	t.Helper()
	bin := telemetrygen(t)
	args := []string{"logs", "--otlp-http", "--otlp-insecure", "--otlp-endpoint", c.ports.OTLPHTTP,
		"--workers", strconv.Itoa(workers), "--logs", strconv.Itoa(records / workers), "--rate", "0",
		"--batch-size", strconv.Itoa(eventsPerRequest), "--interval", "10s"}
	t.Logf("telemetrygen %v", args)
	pid := c.proc.PID()
	cpu0 := cpuSeconds(t, pid)
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	wallStart := time.Now()
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var lastZero, full time.Time
	var got float64
	deadline := time.Now().Add(pushTimeLimit)
	for full.IsZero() && time.Now().Before(deadline) {
		at := time.Now()
		got = acceptedLogRecords(t, c)
		switch {
		case got == 0:
			lastZero = at
		case got >= float64(records):
			full = time.Now()
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
	select {
	case err := <-done:
		require.NoError(t, err, out.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("telemetrygen did not finish")
	}
	require.False(t, full.IsZero(), "otlp receiver accepted %.0f of %d records; telemetrygen said:\n%s", got, records, out.String())
	t.Logf("telemetrygen: %.2f s at the collector, %.2f s wall clock including its start-up and shutdown",
		full.Sub(lastZero).Seconds(), time.Since(wallStart).Seconds())
	return pushRun{accepted: int(got), elapsed: full.Sub(lastZero), cpu: cpuSeconds(t, pid) - cpu0}
}

// acceptedLogRecords reads the collector's own count of log records the otlp receiver accepted.
func acceptedLogRecords(t *testing.T, c *pushCollector) float64 {
	return sumSamples(scrape(t, c.ports.Telemetry), "otelcol_receiver_accepted_log_records", `receiver="otlp"`)
}
