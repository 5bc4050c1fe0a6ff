//go:build e2e

// Package dashboard proves dashboards/multiagents.json against the real thing: the built collector
// with the shipped config, framework traffic on a real redis-server, and a real Prometheus server
// (Debian package `prometheus`) scraping the collector. Every PromQL query of the dashboard must
// return data, and the collector's /metrics must pass `promtool check metrics`.
package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// fastTimers shortens the shipped intervals (as test/e2e does) so a run of seconds shows what a
// deployment shows in minutes; rules and thresholds stay as shipped.
var fastTimers = []string{
	"--set=receivers::multiagents::metrics::interval=1s",
	"--set=receivers::host_metrics::collection_interval=1s",
	"--set=processors::worker_health::health_check_interval=1s",
	"--set=processors::worker_health::recent_window=6s",
	"--set=processors::alert::evaluation_interval=1s",
	"--set=processors::batch::timeout=200ms",
}

// failingWorker fails 4 commands in 5 in the simulated traffic: worker_health classifies it failed.
const failingWorker = "process_payment"

// builtinIntervals are Grafana's interval variables, fixed to what a short run can answer:
// $__rate_interval is at least four scrape intervals in Grafana; one minute covers the run.
var builtinIntervals = map[string]string{
	"__rate_interval": "1m",
	"__interval":      "15s",
	"__interval_ms":   "15000",
	"__range":         "5m",
	"__range_s":       "300",
	"__range_ms":      "300000",
}

// knownLintProblems are promtool findings that come from outside this repository's components,
// with where they come from. Anything else fails the test. Empty since the shipped config turns
// off host_metrics' system.cpu.logical.count, whose "_count" suffix promtool flags.
var knownLintProblems = map[string]string{}

func TestDashboardModel(t *testing.T) {
	d := loadDashboard(t)
	assert.NotEmpty(t, d.Title)
	assert.NotEmpty(t, d.UID, "a fixed uid keeps links stable across imports")
	assert.GreaterOrEqual(t, d.SchemaVersion, 36, "schemaVersion of a current Grafana (10.x/11.x)")

	ds, ok := d.variable("datasource")
	require.True(t, ok, "a template variable named datasource")
	assert.Equal(t, "datasource", ds.Type)
	assert.JSONEq(t, `"prometheus"`, string(ds.Query), "the datasource variable lists Prometheus data sources")

	ids := map[int]string{}
	type cell struct{ x, y int }
	occupied := map[cell]string{}
	for _, p := range d.allPanels() {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panel id %d used by %q and %q", p.ID, prev, p.Title)
		}
		ids[p.ID] = p.Title
		assert.NotEmpty(t, p.Title, "panel %d has a title", p.ID)
		assert.LessOrEqual(t, p.GridPos.X+p.GridPos.W, 24, "panel %q fits the 24-column grid", p.Title)
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, taken := occupied[cell{x, y}]; taken {
					t.Errorf("panels %q and %q overlap at x=%d y=%d", other, p.Title, x, y)
				}
				occupied[cell{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		require.NotNil(t, p.Datasource, "panel %q has a datasource", p.Title)
		assert.Equal(t, datasourceRef{Type: "prometheus", UID: "${datasource}"}, *p.Datasource, "panel %q uses the datasource variable", p.Title)
		require.NotEmpty(t, p.Targets, "panel %q has queries", p.Title)
		for _, tg := range p.Targets {
			assert.NotEmpty(t, tg.Expr, "panel %q target %s has a PromQL expression", p.Title, tg.RefID)
			if assert.NotNil(t, tg.Datasource, "panel %q target %s has a datasource", p.Title, tg.RefID) {
				assert.Equal(t, "${datasource}", tg.Datasource.UID, "panel %q target %s uses the datasource variable", p.Title, tg.RefID)
			}
		}
	}

	// Every variable a query uses is defined by the dashboard or built into Grafana.
	values := variableValues(t, d, ".*")
	for _, q := range d.queries() {
		_, unknown := expand(q.Expr, values)
		assert.Empty(t, unknown, "%s uses undefined variables", q.Where)
	}
	// The guide's dashboard areas are all there: each metric family appears in some query.
	all := ""
	for _, q := range d.queries() {
		all += q.Expr + "\n"
	}
	for _, metric := range []string{
		"multiagents_events_total", "multiagents_event_duration_seconds_bucket", "multiagents_worker_duration_seconds_bucket",
		"multiagents_active_workflows", "multiagents_workflows_total", "multiagents_worker_health", "multiagents_worker_issue",
		"multiagents_worker_success_rate_ratio", "multiagents_worker_error_rate_ratio", "multiagents_worker_duration_p95_seconds",
		`multiagents_alerts{alertstate="firing"}`, "multiagents_system_cpu_percent", "multiagents_system_memory_percent",
		"system_cpu_utilization_ratio", "system_memory_utilization_ratio", "$__rate_interval",
	} {
		assert.Contains(t, all, metric, "no dashboard query uses %s", metric)
	}
}

// variableValues maps every template variable to the value a query gets: the data source variable
// only appears in datasource fields, query variables take allValue (what "All" sends) or worker.
func variableValues(t *testing.T, d dashboardModel, worker string) map[string]string {
	values := map[string]string{}
	for k, v := range builtinIntervals {
		values[k] = v
	}
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			values[v.Name] = "DATASOURCE_VARIABLE_IN_PROMQL"
		case "query":
			require.True(t, v.IncludeAll && v.AllValue != "", "variable %s offers All with an explicit allValue", v.Name)
			values[v.Name] = worker
		default:
			t.Fatalf("variable %s has type %s, which this test does not know how to substitute", v.Name, v.Type)
		}
	}
	return values
}

func TestDashboardQueriesReturnDataFromPrometheus(t *testing.T) {
	started := time.Now()
	promtool := requireBinary(t, "promtool")
	requireBinary(t, "prometheus")
	d := loadDashboard(t)

	redis := testredis.Start(t)
	ports := collectortest.NewPorts(t)
	args := append([]string{"--config", "otelcol-config.yaml"}, ports.SetFlags()...)
	args = append(args, fastTimers...)
	env := append(ports.Env(),
		"REDIS_ENDPOINT="+redis.Addr,
		"OTELCOL_STORAGE_DIR="+t.TempDir(),
		// Nothing listens there: the OTLP export fails quietly and stays on loopback.
		"OTLP_EXPORT_ENDPOINT="+collectortest.FreeAddr(t),
	)
	collector := collectortest.Start(t, args, env...)
	_, _, err := collectortest.Get(collectortest.URL(ports.Health, "/"), 30*time.Second)
	require.NoError(t, err, "collector did not come up:\n%s", collector.Logs())
	require.True(t, collectortest.Eventually(15*time.Second, 100*time.Millisecond, func() bool {
		n, err := redis.Do("PUBSUB", "NUMPAT")
		return err == nil && n != ":0"
	}), "receiver never subscribed:\n%s", collector.Logs())

	prom := startPrometheus(t, ports.Prometheus)
	tr := startTraffic(redis, "multiagent:", 100*time.Millisecond, 75*time.Second)
	t.Cleanup(tr.Stop)

	// Prometheus scrapes every second; rates need two samples of a moving counter and
	// worker_failure needs worker_health to classify process_payment failed. Poll until every query
	// answers, then report the ones that never did.
	type run struct {
		promQuery
		expanded string
	}
	var runs []run
	for _, q := range d.queries() {
		forAll, unknown := expand(q.Expr, variableValues(t, d, ".*"))
		require.Empty(t, unknown, "%s uses undefined variables", q.Where)
		runs = append(runs, run{q, forAll})
		if forWorker, _ := expand(q.Expr, variableValues(t, d, failingWorker)); forWorker != forAll {
			runs = append(runs, run{promQuery{Where: q.Where + " (worker=" + failingWorker + ")", Expr: q.Expr, Labels: q.Labels}, forWorker})
		}
	}
	require.GreaterOrEqual(t, len(runs), 25, "the dashboard's queries were all found")

	failures := map[string]string{}
	answered := collectortest.Eventually(60*time.Second, time.Second, func() bool {
		clear(failures)
		for _, r := range runs {
			res, err := prom.query(r.expanded)
			switch {
			case err != nil:
				failures[r.Where] = fmt.Sprintf("%s\n    error: %v", r.expanded, err)
			case res.status != "success":
				failures[r.Where] = fmt.Sprintf("%s\n    %s", r.expanded, res)
			case len(res.samples) == 0:
				failures[r.Where] = fmt.Sprintf("%s\n    empty result", r.expanded)
			case res.finite() == 0:
				failures[r.Where] = fmt.Sprintf("%s\n    no finite value: %s", r.expanded, res)
			default:
				if missing := res.withoutLabels(r.Labels); len(missing) > 0 {
					failures[r.Where] = fmt.Sprintf("%s\n    the legend names labels %v, but series lack them: %v", r.expanded, r.Labels, missing)
				}
			}
		}
		return len(failures) == 0
	})
	if !answered {
		where := make([]string, 0, len(failures))
		for w := range failures {
			where = append(where, w)
		}
		sort.Strings(where)
		var b strings.Builder
		for _, w := range where {
			fmt.Fprintf(&b, "  %s: %s\n", w, failures[w])
		}
		up, _ := prom.query(`up{job="multiagents"}`)
		t.Errorf("%d of %d dashboard queries returned no data after 60 s:\n%sscrape target: %s\ncollector /metrics:\n%s",
			len(failures), len(runs), b.String(), up, scrape(t, ports.Prometheus))
	}
	t.Logf("%d dashboard queries (%d with worker=%s) answered with data %s after the test started",
		len(runs), len(runs)-len(d.queries()), failingWorker, time.Since(started).Round(time.Second))

	// A few panels whose meaning the scenario fixes: the health code maps 0 healthy / 2 failed,
	// and the overview counts see the failed worker and its firing alert.
	values := variableValues(t, d, ".*")
	health := valuesBy(t, prom, d, values, "Worker health", "worker_name")
	assert.Equal(t, 2.0, health[failingWorker], "Worker health shows %s failed (2)", failingWorker)
	assert.Equal(t, 0.0, health["validate_order"], "Worker health shows validate_order healthy (0)")
	assert.GreaterOrEqual(t, valuesBy(t, prom, d, values, "Failed workers", "")[""], 1.0, "Failed workers stat")
	assert.GreaterOrEqual(t, valuesBy(t, prom, d, values, "Firing alerts", "")[""], 1.0, "Firing alerts stat")
	errorRates := valuesBy(t, prom, d, values, "Worker success and error rate", "worker_name")
	assert.InDelta(t, 0.8, errorRates[failingWorker], 0.15, "error rate of %s (fails 4 in 5)", failingWorker)

	// The worker variable's own query, as Grafana runs it.
	worker, ok := d.variable("worker")
	require.True(t, ok, "a worker variable")
	m := labelValuesQuery.FindStringSubmatch(worker.Definition)
	require.NotNil(t, m, "worker variable is a label_values(metric, label) query: %q", worker.Definition)
	names, err := prom.labelValues(m[1], m[2])
	require.NoError(t, err)
	assert.Contains(t, names, failingWorker, "worker variable values")
	assert.Contains(t, names, "validate_order", "worker variable values")

	// The alert the dashboard's firing panel shows is the one the scenario provoked.
	firing, err := prom.query(`multiagents_alerts{alertname="worker_failure",alertstate="firing",worker_name="` + failingWorker + `"}`)
	require.NoError(t, err)
	assert.NotEmpty(t, firing.samples, "worker_failure firing for %s in Prometheus", failingWorker)

	t.Run("promtool check metrics", func(t *testing.T) {
		body := scrape(t, ports.Prometheus)
		problems := promtoolCheckMetrics(t, promtool, body)
		for _, p := range problems {
			if origin, known := knownLintProblems[p]; known {
				t.Logf("promtool lint (not from our components): %s; from %s", p, origin)
				continue
			}
			t.Errorf("promtool lint problem: %s", p)
		}
		for _, p := range problems {
			assert.False(t, strings.HasPrefix(p, "multiagents_"), "lint problem in our metrics: %s", p)
		}
	})

	tr.Stop()
	assert.Zero(t, tr.failed.Load(), "PUBLISH errors")
	assert.Positive(t, tr.published.Load())
	code, err := collector.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code, "collector exit code")
	t.Logf("published %d framework messages; test ran %s", tr.published.Load(), time.Since(started).Round(100*time.Millisecond))
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	code, body, err := collectortest.Get(collectortest.URL(addr, "/metrics"), 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, 200, code)
	return body
}

// promtoolCheckMetrics runs `promtool check metrics` on an exposition and returns its findings, one
// per line ("<metric> <problem>"). Exit code 3 means lint problems; anything else non-zero is a failure
// to parse.
func promtoolCheckMetrics(t *testing.T, promtool, exposition string) []string {
	t.Helper()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 3:
	default:
		t.Fatalf("promtool check metrics failed (%v):\n%s", err, out.String())
	}
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line != "" {
			problems = append(problems, line)
		}
	}
	return problems
}

// valuesBy runs the first query of the panel titled title and maps each series' label to its value.
func valuesBy(t *testing.T, prom *prometheusServer, d dashboardModel, values map[string]string, title, label string) map[string]float64 {
	t.Helper()
	for _, q := range d.queries() {
		if !strings.HasPrefix(q.Where, strconv.Quote(title)+" /") {
			continue
		}
		expr, _ := expand(q.Expr, values)
		res, err := prom.query(expr)
		require.NoError(t, err)
		require.Equal(t, "success", res.status, "%s: %s", q.Where, res)
		out := map[string]float64{}
		for _, s := range res.samples {
			out[s.labels[label]] = s.value
		}
		return out
	}
	t.Fatalf("no panel titled %q", title)
	return nil
}
