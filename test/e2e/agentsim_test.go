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

// What agentsim puts on the bus is what the collector counts: a seeded agentsim run, as a user
// runs it, and the workflow totals on /metrics equal its own summary, with nothing lost.
func TestAgentsimRunIsCountedExactly(t *testing.T) {
	d := startDeployment(t)

	bin := filepath.Join(t.TempDir(), "agentsim")
	build := exec.Command("go", "build", "-o", bin, "./cmd/agentsim")
	build.Dir = collectortest.RepoRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build agentsim: %s", out)

	run := exec.Command(bin, "--redis", d.redis.Addr, "--workflows", "300", "--rate", "150",
		"--fail", "payment=0.2", "--seed", "7", "--progress", "0")
	out, err = run.CombinedOutput()
	require.NoError(t, err, "agentsim: %s", out)
	m := summaryLine.FindStringSubmatch(string(out))
	require.NotNil(t, m, "no summary in agentsim's output:\n%s", out)
	completed, _ := strconv.Atoi(m[1])
	failed, _ := strconv.Atoi(m[2])
	require.Equal(t, 300, completed+failed, "agentsim's own summary:\n%s", out)
	require.Positive(t, failed, "the scenario must contain failures:\n%s", out)

	var body string
	ok := collectortest.Eventually(30*time.Second, 500*time.Millisecond, func() bool {
		body = d.scrape(t)
		return sumSeries(body, "multiagents_workflows_total", `status="completed"`) == float64(completed) &&
			sumSeries(body, "multiagents_workflows_total", `status="compensated"`) == float64(failed)
	})
	assert.True(t, ok, "collector counted completed %v / compensated %v, agentsim says %d / %d\n%s",
		sumSeries(body, "multiagents_workflows_total", `status="completed"`),
		sumSeries(body, "multiagents_workflows_total", `status="compensated"`), completed, failed, out)
	assert.Equal(t, float64(failed), sumSeries(body, "multiagents_worker_executions_total", `worker_name="process_payment"`, `status="error"`),
		"every failed payment step counted once")
}
