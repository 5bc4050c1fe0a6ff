//go:build e2e

package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

var summaryLine = regexp.MustCompile(`completed (\d+), failed (\d+), timed out (\d+), cancelled (\d+)`)

// sumSeries adds up the samples of name whose labels contain every one of labels.
func sumSeries(body, name string, labels ...string) float64 {
	total := 0.0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(line, l)
		}
		if m := sampleValue.FindStringSubmatch(line); match && m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			total += v
		}
	}
	return total
}

// What agentsim sends is what the collector counts: seeded agentsim runs, as a user runs them, on
// the Redis bus and over HTTP push, and the workflow totals on /metrics equal their summaries.
func TestAgentsimRunIsCountedExactly(t *testing.T) {
	d := startDeployment(t)

	bin := filepath.Join(t.TempDir(), "agentsim")
	build := exec.Command("go", "build", "-o", bin, "./cmd/agentsim")
	build.Dir = collectortest.RepoRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build agentsim: %s", out)

	// 300 workflows on the Redis bus, then 100 pushed to the receiver's HTTP endpoint.
	completed, failed := 0, 0
	for _, target := range [][]string{
		{"--redis", d.redis.Addr, "--workflows", "300", "--seed", "7"},
		{"--http", "http://" + d.ports.EventsHTTP, "--workflows", "100", "--seed", "8"},
	} {
		args := append(target, "--rate", "150", "--fail", "payment=0.2", "--progress", "0")
		out, err := exec.Command(bin, args...).CombinedOutput()
		require.NoError(t, err, "agentsim %v: %s", args, out)
		m := summaryLine.FindStringSubmatch(string(out))
		require.NotNil(t, m, "no summary in agentsim's output:\n%s", out)
		c, _ := strconv.Atoi(m[1])
		f, _ := strconv.Atoi(m[2])
		require.Positive(t, f, "the scenario must contain failures:\n%s", out)
		completed += c
		failed += f
	}
	require.Equal(t, 400, completed+failed)

	var body string
	ok := collectortest.Eventually(30*time.Second, 500*time.Millisecond, func() bool {
		body = d.scrape(t)
		return sumSeries(body, "multiagents_workflows_total", `status="completed"`) == float64(completed) &&
			sumSeries(body, "multiagents_workflows_total", `status="compensated"`) == float64(failed)
	})
	assert.True(t, ok, "collector counted completed %v / compensated %v, agentsim says %d / %d",
		sumSeries(body, "multiagents_workflows_total", `status="completed"`),
		sumSeries(body, "multiagents_workflows_total", `status="compensated"`), completed, failed)
	assert.Equal(t, float64(failed), sumSeries(body, "multiagents_worker_executions_total", `worker_name="process_payment"`, `status="error"`),
		"every failed payment step counted once")
}
