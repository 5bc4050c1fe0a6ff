//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// Issue 11's acceptance test: the built binary with the shipped otelcol-config.yaml, changed only
// in its endpoints and in time (every window and interval below divided by timeScale), runs
// agentsim's trustworthy scenario (internal/agentsim/mix.go: an upstream outage with an idle
// downstream worker, a low-volume worker's single failure, three dead workers at once, then
// silence). It records every Slack message and PagerDuty event and asserts the exact set: one
// notification per real incident, none about idle or low-evidence workers, one grouped message
// for the burst, and after the traffic stops only the bus_silent warning.
//
// TRUSTWORTHY_BASELINE=<tree> runs it against a build from before issue 11 (with OTELCOL_BIN
// pointing at that tree's binary): that tree's otelcol-config.yaml is used, and the overrides of
// keys that issue 11 adds are left out (the old binary would reject them).

// timeScale divides every shipped window and interval: the scenario's 2 minutes stand for 40
// minutes of a deployment on the shipped config (agentsim --scenario trustworthy --time-scale 20).
const timeScale = 20

// scaledKey is a config key run at its shipped value ÷ timeScale.
type scaledKey struct {
	key string
	// orDefault is the value to scale when the shipped config does not write the key (the
	// component's default); empty: the key is left out then.
	orDefault string
	// issue11 marks keys that binaries from before issue 11 reject.
	issue11 bool
}

// timeScaled is every time override, in one list; scaledLists adds the alert rules and the
// inhibit rules. Not scaled, on purpose: the notifiers' group_wait (already a second or two: it
// only has to cover one evaluation, and it is what bounds the time to page), HTTP timeouts and
// retry backoff (they are about the sinks, not the incidents), counts (min_executions,
// min_samples) and thresholds (a 5 s latency is still 5 s).
var timeScaled = []scaledKey{
	{key: "receivers::multiagents::metrics::interval"},                                  // shipped 10s
	{key: "receivers::multiagents::transactions::step_timeout_grace", orDefault: "30s"}, // default 30s; agentsim's timeout_seconds is 2 (30 ÷ 20, rounded up)
	{key: "processors::batch::timeout"},                                                 // shipped 5s
	{key: "processors::worker_health::health_check_interval"},                           // shipped 30s (before issue 11, inactive_after is 3 × this)
	{key: "processors::worker_health::recent_window"},                                   // shipped 5m
	{key: "processors::worker_health::performance_window"},                              // shipped 60m
	{key: "processors::worker_health::unresponsive_after", issue11: true},               // shipped 5m
	{key: "processors::alert::evaluation_interval"},                                     // shipped 15s
	{key: "processors::alert::stale_after"},                                             // shipped 5m
	{key: "processors::alert::resolved_retention"},                                      // shipped 15m
	{key: "exporters::slack::group_interval", orDefault: "5m", issue11: true},           // shipped 1m
	{key: "exporters::pagerduty::group_interval", orDefault: "5m", issue11: true},       // shipped 1m
}

// scaledLists are config lists rewritten whole (--set replaces a list) with every duration field
// of every item divided by timeScale: the rules' window, for, keep_firing_for and cooldown, and
// the inhibit rules' keep_inhibiting_for. Everything else in them stays as shipped.
var scaledLists = []scaledKey{
	{key: "processors::alert::rules"},
	{key: "processors::alert::inhibit_rules", issue11: true},
}

// notification is one Slack message or PagerDuty event as the test reads it.
type notification struct {
	at      time.Duration // since agentsim started
	channel string        // slack, pagerduty
	action  string        // slack: firing, resolved; pagerduty: trigger, update (a trigger for an open incident), resolve
	alerts  []string      // rule names it mentions
	workers []string      // scenario workers it mentions
	dedup   string        // PagerDuty dedup_key
}

// key is what the expected table is indexed by: the alerts and the workers a notification is about.
func (n notification) key() string {
	return strings.Join(n.alerts, "+") + "{" + strings.Join(n.workers, ",") + "}"
}

// expectedNotifications is the exact set issue 11 asks for, per alert{workers} and channel:
// counts of firing/resolved Slack messages and trigger/resolve PagerDuty events. Everything not
// listed must not be sent at all: nothing about ship_order (idle downstream of the outage),
// build_report (one failure among a few executions), the other workers, or any worker once the
// traffic stops.
var expectedNotifications = []struct {
	incident string
	key      string
	slack    [2]int // firing, resolved
	pd       [2]int // trigger, resolve
}{
	// a: charge_payment fails every step for 15 s; one incident, opened and closed once.
	{"a: upstream outage", "worker_failure{charge_payment}", [2]int{1, 1}, [2]int{1, 1}},
	// c: three senders dead at once: one group, one Slack message and one PagerDuty incident.
	{"c: three dead workers", "worker_failure{email_sender,push_sender,sms_sender}", [2]int{1, 1}, [2]int{1, 1}},
	// d: the bus goes silent; a warning (Slack only), still firing when the test ends.
	{"d: traffic stops", "bus_silent{}", [2]int{1, 0}, [2]int{0, 0}},
}

// ignoredAlerts are left out of the comparison: they judge the machine the test runs on.
var ignoredAlerts = map[string]bool{"critical_cpu_usage": true}

func TestTrustworthyAlertsOnIssue11Scenario(t *testing.T) {
	root := collectortest.RepoRoot(t)
	baseline := os.Getenv("TRUSTWORTHY_BASELINE")
	configPath := filepath.Join(root, "otelcol-config.yaml")
	if baseline != "" {
		configPath = filepath.Join(baseline, "otelcol-config.yaml")
	}
	shipped := readShippedConfig(t, configPath)
	overrides := timeOverrides(t, shipped, baseline != "")
	ruleNames := shippedRuleNames(t, shipped)

	mix := agentsim.Trustworthy()
	workers := mix.Workers()
	agentsimBin := buildAgentsim(t, root)

	redisSrv := testredis.Start(t)
	slack := newSlackSink(t)
	pd := newPagerDutySink(t)
	ports := collectortest.NewPorts(t)
	args := append([]string{"--config", configPath}, ports.SetFlags()...)
	args = append(args,
		"--set=exporters::pagerduty::endpoint="+pd.URL(),
		"--set=exporters::slack::insecure_allow_http=true", // the local Slack speaks plain HTTP
	)
	args = append(args, overrides...)
	env := append(ports.Env(),
		"REDIS_ENDPOINT="+redisSrv.Addr,
		"SLACK_WEBHOOK_URL="+slack.URL(),
		"PAGERDUTY_ROUTING_KEY="+routingKey,
		"OTELCOL_STORAGE_DIR="+t.TempDir(),
	)
	proc := collectortest.Start(t, args, env...)
	up := collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		_, _, err := collectortest.Get(collectortest.URL(ports.Health, "/"), 0)
		return err == nil || proc.Exited()
	})
	require.False(t, proc.Exited(), "the collector exited at start (a key this binary does not know? see TRUSTWORTHY_BASELINE):\n%s", proc.Logs())
	require.True(t, up, "collector did not come up:\n%s", proc.Logs())
	require.True(t, collectortest.Eventually(15*time.Second, 100*time.Millisecond, func() bool {
		n, err := redisSrv.Do("PUBSUB", "NUMPAT")
		return err == nil && n != ":0"
	}), "receiver never subscribed:\n%s", proc.Logs())

	// The scenario runs as a user runs it; the test clock starts with it.
	begin := time.Now()
	sim := exec.Command(agentsimBin, "--redis", redisSrv.Addr, "--scenario", "trustworthy", "--seed", "11", "--progress", "10s")
	var simOut collectortest.SyncBuffer
	sim.Stdout, sim.Stderr = &simOut, &simOut
	require.NoError(t, sim.Start())
	simDone := make(chan error, 1)
	go func() { simDone <- sim.Wait() }()

	rec := newRecorder(begin, slack, pd, ruleNames, workers)
	stopWatch := rec.watch(collectortest.URL(ports.Telemetry, "/metrics"))

	select {
	case err := <-simDone:
		require.NoError(t, err, "agentsim:\n%s", simOut.String())
	case <-time.After(mix.TrafficEnds() + time.Minute):
		t.Fatalf("agentsim did not end:\n%s", simOut.String())
	}
	t.Logf("agentsim:\n%s", simOut.String())

	// Past the traffic: wait for the bus_silent warning (its window is 5m ÷ timeScale), then long
	// enough that per-worker alerts after the silence would show.
	busSilentBy := mix.TrafficEnds() + 5*time.Minute/timeScale + 20*time.Second
	collectortest.Eventually(time.Until(begin.Add(busSilentBy)), 250*time.Millisecond, func() bool {
		return rec.seen("bus_silent")
	})
	time.Sleep(10 * time.Second)
	stopWatch()

	// The collector counted what agentsim sent: the scenario really happened as designed.
	body := scrapeProm(t, ports.Prometheus)
	for worker, want := range agentsimCounts(t, simOut.String()) {
		got := [2]float64{
			sumSeries(body, "multiagents_worker_executions_total", `worker_name="`+worker+`"`),
			sumSeries(body, "multiagents_worker_executions_total", `worker_name="`+worker+`"`, `status="error"`),
		}
		assert.Equal(t, [2]float64{float64(want[0]), float64(want[1] + want[2])}, got,
			"%s: executions and errors (failed + timed out) counted by the collector vs sent by agentsim", worker)
	}

	code, err := proc.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code, "exit code after SIGTERM")

	got := rec.all()
	t.Logf("notifications (time since agentsim started):\n%s", formatNotifications(got))
	table, ok := compareNotifications(got)
	t.Logf("expected vs got:\n%s", table)
	assert.True(t, ok, "notifications differ from issue 11's expected set:\n%s", table)

	failures, firstFailure := rec.telemetryFailures()
	assert.Zero(t, failures, "the collector's own /metrics must answer 200 throughout; first failure: %s", firstFailure)
	assert.Empty(t, slack.violations(), "Slack contract violations")
	assert.Empty(t, pd.Violations(), "PagerDuty contract violations")
	assert.NotContains(t, proc.Logs(), routingKey, "the routing key leaked into the logs")
	assert.NotContains(t, proc.Logs(), notifytest.SlackWebhookPath, "the webhook URL leaked into the logs")
}

// readShippedConfig parses the shipped config file as plain YAML (its ${env:...} placeholders
// stay text; only the keys scaled here are read).
func readShippedConfig(t *testing.T, path string) map[string]any {
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	return cfg
}

// lookup walks a "a::b::c" key through nested maps.
func lookup(cfg map[string]any, key string) (any, bool) {
	var cur any = cfg
	for _, part := range strings.Split(key, "::") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func scaleDuration(t *testing.T, key string, v any) string {
	s, ok := v.(string)
	require.True(t, ok, "%s: %v is not a duration", key, v)
	d, err := time.ParseDuration(s)
	require.NoError(t, err, key)
	return (d / timeScale).String()
}

// timeOverrides builds the --set flags of timeScaled and the scaled rules; a baseline run
// leaves out the keys issue 11 adds, and says so.
func timeOverrides(t *testing.T, shipped map[string]any, baseline bool) []string {
	var out []string
	for _, k := range timeScaled {
		if baseline && k.issue11 {
			t.Logf("baseline run: leaving out %s (a key issue 11 adds)", k.key)
			continue
		}
		v, ok := lookup(shipped, k.key)
		if !ok && k.orDefault == "" {
			t.Logf("not scaled: %s (the shipped config does not write it)", k.key)
			continue
		}
		if !ok {
			v = k.orDefault
		}
		out = append(out, "--set="+k.key+"="+scaleDuration(t, k.key, v))
	}
	for _, l := range scaledLists {
		if baseline && l.issue11 {
			t.Logf("baseline run: leaving out %s (a key issue 11 adds)", l.key)
			continue
		}
		if list, ok := scaledList(t, shipped, l.key); ok {
			out = append(out, "--set="+l.key+"="+list)
		} else {
			t.Logf("not scaled: %s (the shipped config does not write it)", l.key)
		}
	}
	t.Logf("time overrides (shipped ÷ %d):\n  %s", timeScale, strings.Join(out, "\n  "))
	return out
}

// scaledList is the shipped list at key, as JSON (which --set reads as YAML), with every field
// of every item whose value is a duration ("5m", "0s") divided by timeScale.
func scaledList(t *testing.T, shipped map[string]any, key string) (string, bool) {
	v, ok := lookup(shipped, key)
	if !ok {
		return "", false
	}
	items, ok := v.([]any)
	require.True(t, ok, "%s is not a list", key)
	for i, item := range items {
		fields, ok := item.(map[string]any)
		require.True(t, ok, "%s[%d] is not a map", key, i)
		for k, f := range fields {
			if s, ok := f.(string); ok && isDuration(s) {
				fields[k] = scaleDuration(t, fmt.Sprintf("%s[%d].%s", key, i, k), s)
			}
		}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "> 0.1" readable in the logged flags
	require.NoError(t, enc.Encode(items))
	return strings.TrimSpace(b.String()), true
}

// isDuration is true for a Go duration with a unit ("90s", "0s"), not for a bare number.
func isDuration(s string) bool {
	_, err := time.ParseDuration(s)
	return err == nil && strings.ContainsAny(s, "smhuµn")
}

func shippedRuleNames(t *testing.T, shipped map[string]any) []string {
	v, _ := lookup(shipped, "processors::alert::rules")
	var names []string
	for _, r := range v.([]any) {
		names = append(names, fmt.Sprint(r.(map[string]any)["name"]))
	}
	require.NotEmpty(t, names)
	return names
}

func buildAgentsim(t *testing.T, root string) string {
	bin := filepath.Join(t.TempDir(), "agentsim")
	build := exec.Command("go", "build", "-o", bin, "./cmd/agentsim")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build agentsim: %s", out)
	return bin
}

func scrapeProm(t *testing.T, addr string) string {
	_, body, err := collectortest.Get(collectortest.URL(addr, "/metrics"), 5*time.Second)
	require.NoError(t, err)
	return body
}

var agentsimWorkerRow = regexp.MustCompile(`(?m)^    (\S+) +(\d+) +(\d+) +(\d+)$`)

// agentsimCounts reads agentsim's per-worker table: executions, failed, timed out.
func agentsimCounts(t *testing.T, out string) map[string][3]int {
	rows := map[string][3]int{}
	for _, m := range agentsimWorkerRow.FindAllStringSubmatch(out, -1) {
		var n [3]int
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+2])
		}
		rows[m[1]] = n
	}
	require.NotEmpty(t, rows, "no per-worker table in agentsim's output:\n%s", out)
	return rows
}

// recorder stamps every notification the local servers accept with the time it was first seen,
// and scrapes the collector's own metrics, all while the scenario runs.
type recorder struct {
	begin            time.Time
	slack            slackSink
	pd               pagerDutySink
	alerts, workers  []string
	mu               sync.Mutex
	slackSeen        []time.Duration
	pdSeen           []time.Duration
	telemetryScrapes int
	telemetryFails   int
	firstFailure     string
}

func newRecorder(begin time.Time, slack slackSink, pd pagerDutySink, alerts, workers []string) *recorder {
	return &recorder{begin: begin, slack: slack, pd: pd, alerts: alerts, workers: workers}
}

// watch polls the sinks every 250 ms and the telemetry endpoint every 2 s until the returned
// function is called.
func (r *recorder) watch(telemetryURL string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		lastScrape := time.Time{}
		for {
			r.stamp()
			if time.Since(lastScrape) >= 2*time.Second {
				lastScrape = time.Now()
				r.scrapeTelemetry(telemetryURL)
			}
			select {
			case <-done:
				r.stamp()
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (r *recorder) stamp() {
	nSlack, nPD := len(r.slack.Messages()), len(r.pd.Events())
	at := time.Since(r.begin)
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.slackSeen) < nSlack {
		r.slackSeen = append(r.slackSeen, at)
	}
	for len(r.pdSeen) < nPD {
		r.pdSeen = append(r.pdSeen, at)
	}
}

func (r *recorder) scrapeTelemetry(url string) {
	code, body, err := collectortest.Get(url, 2*time.Second)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.telemetryScrapes++
	if err == nil && code == 200 {
		return
	}
	r.telemetryFails++
	if r.firstFailure == "" {
		r.firstFailure = fmt.Sprintf("at %s: HTTP %d %v %.400s", time.Since(r.begin).Round(time.Second), code, err,
			strings.ReplaceAll(strings.TrimSpace(body), "\n", " | "))
	}
}

func (r *recorder) telemetryFailures() (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.telemetryFails, fmt.Sprintf("%s (%d of %d scrapes failed)", r.firstFailure, r.telemetryFails, r.telemetryScrapes)
}

func (r *recorder) seen(alert string) bool {
	r.stamp()
	for _, n := range r.all() {
		if slices.Contains(n.alerts, alert) {
			return true
		}
	}
	return false
}

// mentioned returns the names in text, sorted.
func mentioned(text string, names []string) []string {
	var out []string
	for _, n := range names {
		if strings.Contains(text, n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// all reads every notification so far. A Slack message is "firing" when its text says FIRING
// (as the title of a firing or still-firing alert or group does), else "resolved" when it says
// RESOLVED (either, failing that, in any case). A PagerDuty resolve carries no payload: it is about what its dedup_key's last
// trigger was about.
func (r *recorder) all() []notification {
	r.mu.Lock()
	slackSeen := append([]time.Duration(nil), r.slackSeen...)
	pdSeen := append([]time.Duration(nil), r.pdSeen...)
	r.mu.Unlock()

	var out []notification
	for i, m := range r.slack.Messages() {
		if i >= len(slackSeen) {
			break
		}
		b, _ := json.Marshal(m)
		text := string(b)
		action := "unclear"
		lower := strings.ToLower(text)
		switch {
		case strings.Contains(text, "FIRING"):
			action = "firing"
		case strings.Contains(text, "RESOLVED"):
			action = "resolved"
		case strings.Contains(lower, "firing"):
			action = "firing"
		case strings.Contains(lower, "resolved"):
			action = "resolved"
		}
		out = append(out, notification{at: slackSeen[i], channel: "slack", action: action,
			alerts: mentioned(text, r.alerts), workers: mentioned(text, r.workers)})
	}
	lastTrigger := map[string]notification{}
	open := map[string]bool{}
	for i, e := range r.pd.Events() {
		if i >= len(pdSeen) {
			break
		}
		n := notification{at: pdSeen[i], channel: "pagerduty", action: e.EventAction, dedup: e.DedupKey}
		switch e.EventAction {
		case "trigger":
			b, _ := json.Marshal(e)
			n.alerts, n.workers = mentioned(string(b), r.alerts), mentioned(string(b), r.workers)
			if open[e.DedupKey] {
				// PagerDuty adds a trigger for an open dedup_key to that incident: no new page.
				n.action = "update"
			}
			open[e.DedupKey] = true
			lastTrigger[e.DedupKey] = n
		case "resolve":
			delete(open, e.DedupKey)
			if tr, ok := lastTrigger[e.DedupKey]; ok {
				n.alerts, n.workers = tr.alerts, tr.workers
			}
		}
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

func formatNotifications(ns []notification) string {
	var b strings.Builder
	for _, n := range ns {
		dedup := ""
		if n.dedup != "" {
			dedup = " dedup_key=" + n.dedup[:min(12, len(n.dedup))]
		}
		fmt.Fprintf(&b, "  %6.1fs  %-9s  %-8s  %s%s\n", n.at.Seconds(), n.channel, n.action, n.key(), dedup)
	}
	if len(ns) == 0 {
		b.WriteString("  (none)\n")
	}
	return b.String()
}

// notificationColumns are the columns of the expected-vs-got table.
var notificationColumns = []string{"slack/firing", "slack/resolved", "pagerduty/trigger", "pagerduty/resolve"}

// compareNotifications counts what was sent per alert{workers}, channel and action, and lays it
// beside expectedNotifications; ok is whether they are equal, ignoring ignoredAlerts.
func compareNotifications(got []notification) (string, bool) {
	type row struct {
		incident     string
		want, counts [4]int
		times        []string
	}
	rows := map[string]*row{}
	var order []string
	get := func(key string) *row {
		if rows[key] == nil {
			rows[key] = &row{incident: "(not expected)"}
			order = append(order, key)
		}
		return rows[key]
	}
	for _, e := range expectedNotifications {
		r := get(e.key)
		r.incident = e.incident
		r.want = [4]int{e.slack[0], e.slack[1], e.pd[0], e.pd[1]}
	}
	ok := true
	var ignored, unclear []string
	for _, n := range got {
		what := fmt.Sprintf("%.0fs %s %s", n.at.Seconds(), n.channel, n.action)
		if len(n.alerts) == 1 && ignoredAlerts[n.alerts[0]] {
			ignored = append(ignored, what)
			continue
		}
		if n.channel == "pagerduty" && n.action == "update" {
			r := get(n.key())
			r.times = append(r.times, fmt.Sprintf("pagerduty update of the open incident (not a page) @%.0fs", n.at.Seconds()))
			continue
		}
		col := slices.Index(notificationColumns, n.channel+"/"+n.action)
		if col < 0 {
			ok = false
			unclear = append(unclear, what+" "+n.key())
			continue
		}
		r := get(n.key())
		r.counts[col]++
		r.times = append(r.times, fmt.Sprintf("%s %s @%.0fs", n.channel, n.action, n.at.Seconds()))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %-52s %-22s %-14s %-14s %-14s %-14s\n", "alert{workers}", "incident",
		"Slack firing", "Slack resolved", "PD trigger", "PD resolve")
	for _, key := range order {
		r := rows[key]
		mark := ""
		if r.want != r.counts {
			ok, mark = false, "  <- differs"
		}
		var cells [4]string
		for i := range cells {
			cells[i] = fmt.Sprintf("got %d want %d", r.counts[i], r.want[i])
		}
		fmt.Fprintf(&b, "  %-52s %-22s %-14s %-14s %-14s %-14s%s\n", key, r.incident, cells[0], cells[1], cells[2], cells[3], mark)
		if len(r.times) > 0 {
			fmt.Fprintf(&b, "      sent: %s\n", strings.Join(r.times, ", "))
		}
	}
	if len(unclear) > 0 {
		fmt.Fprintf(&b, "  neither firing nor resolved (Slack text says neither FIRING nor RESOLVED): %s\n", strings.Join(unclear, "; "))
	}
	if len(ignored) > 0 {
		fmt.Fprintf(&b, "  ignored (host CPU, not about the framework): critical_cpu_usage %s\n", strings.Join(ignored, "; "))
	}
	return b.String(), ok
}

// The comparison the acceptance test rests on: the expected set passes, and each way of
// differing from it fails (no collector needed).
func TestTrustworthyTableComparesExactly(t *testing.T) {
	n := func(at int, channel, action, alert string, workers ...string) notification {
		return notification{at: time.Duration(at) * time.Second, channel: channel, action: action, alerts: []string{alert}, workers: workers}
	}
	burst := []string{"email_sender", "push_sender", "sms_sender"}
	expected := []notification{
		n(18, "slack", "firing", "worker_failure", "charge_payment"), n(18, "pagerduty", "trigger", "worker_failure", "charge_payment"),
		n(40, "slack", "resolved", "worker_failure", "charge_payment"), n(40, "pagerduty", "resolve", "worker_failure", "charge_payment"),
		n(74, "slack", "firing", "worker_failure", burst...), n(74, "pagerduty", "trigger", "worker_failure", burst...),
		n(99, "slack", "resolved", "worker_failure", burst...), n(99, "pagerduty", "resolve", "worker_failure", burst...),
		n(135, "slack", "firing", "bus_silent"),
	}
	table, ok := compareNotifications(expected)
	assert.True(t, ok, table)

	withHostCPU := append(slices.Clone(expected), n(50, "pagerduty", "trigger", "critical_cpu_usage"))
	_, ok = compareNotifications(withHostCPU)
	assert.True(t, ok, "host CPU alerts are left out")
	withUpdate := append(slices.Clone(expected), n(80, "pagerduty", "update", "worker_failure", burst...))
	_, ok = compareNotifications(withUpdate)
	assert.True(t, ok, "a trigger for the open incident is not a page")

	for name, got := range map[string][]notification{
		"idle worker paged":        append(slices.Clone(expected), n(16, "pagerduty", "trigger", "worker_failure", "ship_order")),
		"burst paged per worker":   append(slices.Clone(expected[:4]), n(74, "slack", "firing", "worker_failure", "email_sender"), n(74, "slack", "firing", "worker_failure", "sms_sender")),
		"second message for a":     append(slices.Clone(expected), n(17, "slack", "firing", "high_error_rate", "charge_payment")),
		"resolve missing":          slices.Delete(slices.Clone(expected), 2, 3),
		"Slack says neither state": append(slices.Clone(expected), n(60, "slack", "unclear", "bus_silent")),
	} {
		table, ok := compareNotifications(got)
		assert.False(t, ok, "%s:\n%s", name, table)
		assert.Regexp(t, "differs|neither firing nor resolved", table, name)
	}
}
