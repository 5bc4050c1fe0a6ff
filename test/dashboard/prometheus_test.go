//go:build e2e

package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// prometheusInstallHint is what a machine without the Prometheus server needs; .ci/run does the same.
const prometheusInstallHint = "the Prometheus server is not installed (prometheus and promtool, Debian package `prometheus`): " +
	"run `apt-get update && apt-get install -y prometheus` (what .ci/run does on a fresh machine)"

// requireBinary returns the path of a Prometheus tool; a missing tool fails the test, never skips it.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found in PATH: %s", name, prometheusInstallHint)
	}
	return path
}

// prometheusServer is one real Prometheus process owned by a test: loopback only, temp storage.
type prometheusServer struct {
	addr string
	cmd  *exec.Cmd
	logs *collectortest.SyncBuffer
	done chan struct{}
}

// startPrometheus runs Prometheus scraping target (host:port, path /metrics) every second and
// stops it when t ends.
func startPrometheus(t *testing.T, target string) *prometheusServer {
	t.Helper()
	bin := requireBinary(t, "prometheus")
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: multiagents
    static_configs:
      - targets: [%q]
`, target)
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &prometheusServer{addr: collectortest.FreeAddr(t), logs: &collectortest.SyncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin,
		"--config.file="+configPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+p.addr,
		"--log.level=warn",
	)
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("prometheus logs:\n%s", p.logs.String())
		}
	})
	ready := collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		code, _, err := collectortest.Get(p.url("/-/ready"), time.Second)
		return err == nil && code == http.StatusOK
	})
	if !ready {
		t.Fatalf("prometheus never became ready on %s:\n%s", p.addr, p.logs.String())
	}
	return p
}

func (p *prometheusServer) url(path string) string { return "http://" + p.addr + path }

// stop ends the process with SIGTERM, then SIGKILL if it lingers.
func (p *prometheusServer) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// apiResponse is the envelope of Prometheus's HTTP API.
type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

type queryData struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	} `json:"result"`
}

// sample is one element of an instant vector.
type sample struct {
	labels map[string]string
	value  float64
}

// queryResult is what one instant query returned.
type queryResult struct {
	status     string
	err        string
	resultType string
	samples    []sample
}

// finite counts the samples that are numbers (not NaN, not ±Inf).
func (r queryResult) finite() int {
	n := 0
	for _, s := range r.samples {
		if !math.IsNaN(s.value) && !math.IsInf(s.value, 0) {
			n++
		}
	}
	return n
}

// withoutLabels returns the series that lack one of labels (or have it empty).
func (r queryResult) withoutLabels(labels []string) []map[string]string {
	var out []map[string]string
	for _, s := range r.samples {
		for _, l := range labels {
			if s.labels[l] == "" {
				out = append(out, s.labels)
				break
			}
		}
	}
	return out
}

func (r queryResult) String() string {
	if r.status != "success" {
		return fmt.Sprintf("status %s: %s", r.status, r.err)
	}
	parts := make([]string, 0, len(r.samples))
	for _, s := range r.samples {
		parts = append(parts, fmt.Sprintf("%v=%g", s.labels, s.value))
	}
	return fmt.Sprintf("%s with %d samples [%s]", r.resultType, len(r.samples), strings.Join(parts, ", "))
}

// query runs an instant PromQL query at the current time through /api/v1/query.
func (p *prometheusServer) query(expr string) (queryResult, error) {
	var data queryData
	res, err := p.api("/api/v1/query?query="+url.QueryEscape(expr), &data)
	if err != nil || res.status != "success" {
		return res, err
	}
	res.resultType = data.ResultType
	for _, r := range data.Result {
		raw, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return res, fmt.Errorf("sample value %q: %w", raw, err)
		}
		res.samples = append(res.samples, sample{labels: r.Metric, value: v})
	}
	return res, nil
}

// labelValues is what Grafana's label_values(metric, label) asks Prometheus for.
func (p *prometheusServer) labelValues(metric, label string) ([]string, error) {
	var values []string
	res, err := p.api("/api/v1/label/"+url.PathEscape(label)+"/values?match[]="+url.QueryEscape(metric), &values)
	if err != nil {
		return nil, err
	}
	if res.status != "success" {
		return nil, fmt.Errorf("label values: %s", res)
	}
	return values, nil
}

// api GETs path and decodes the data of a successful answer into data.
func (p *prometheusServer) api(path string, data any) (queryResult, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(p.url(path))
	if err != nil {
		return queryResult{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return queryResult{}, err
	}
	var envelope apiResponse
	if err := json.Unmarshal(body, &envelope); err != nil {
		return queryResult{}, fmt.Errorf("HTTP %d, not an API answer: %w: %.200s", resp.StatusCode, err, body)
	}
	res := queryResult{status: envelope.Status, err: envelope.ErrorType + ": " + envelope.Error}
	if envelope.Status != "success" {
		return res, nil
	}
	return res, json.Unmarshal(envelope.Data, data)
}
