//go:build e2e

// Package e2e drives the built collector with the shipped config the way a deployment does:
// framework events on a real Redis, Prometheus scraped over HTTP, notifications received by local
// servers that enforce the Slack and PagerDuty contracts.
package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/emailexporter/smtptest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

const (
	routingKey   = "0123456789abcdef0123456789abcdef"
	smtpPassword = "e2e-Secret-pw"
)

// fastTimers shortens worker_health's recent window so a repaired worker recovers in seconds, not
// minutes; the intervals (the receiver's max_delay, evaluation on arrival, group_wait), the rules
// and the thresholds stay as shipped.
var fastTimers = []string{
	"--set=processors::worker_health::recent_window=6s",
	"--set=exporters::slack::insecure_allow_http=true",
}

type deployment struct {
	redis  *testredis.Server
	slack  slackSink
	pd     pagerDutySink
	smtp   *smtptest.Server
	otlp   *otlpSink
	ports  collectortest.Ports
	proc   *collectortest.Process
	prefix string
	args   []string
	env    []string
}

func startDeployment(t *testing.T) *deployment {
	d := &deployment{
		redis:  testredis.Start(t),
		slack:  newSlackSink(t),
		pd:     newPagerDutySink(t),
		smtp:   smtptest.Start(t, "alerts-bot", smtpPassword, smtptest.Options{}),
		otlp:   newOTLPSink(t),
		ports:  collectortest.NewPorts(t),
		prefix: "multiagent:",
	}
	args := append([]string{"--config", "otelcol-config.yaml"}, d.ports.SetFlags()...)
	args = append(args, fastTimers...)
	args = append(args,
		"--set=exporters::pagerduty::endpoint="+d.pd.URL(),
		"--set=exporters::email::ca_file="+d.smtp.CAFile,
		"--set=exporters::email::group_wait=1s",
	)
	env := append(d.ports.Env(),
		"REDIS_ENDPOINT="+d.redis.Addr,
		"OTLP_EXPORTER=otlp_grpc",
		"OTLP_EXPORT_ENDPOINT="+d.otlp.addr,
		"SLACK_WEBHOOK_URL="+d.slack.URL(),
		"PAGERDUTY_ROUTING_KEY="+routingKey,
		"SMTP_ENDPOINT="+d.smtp.Addr,
		"SMTP_USERNAME=alerts-bot",
		"SMTP_PASSWORD="+smtpPassword,
		"ALERT_FROM_EMAIL=alerts@example.com",
		"ALERT_TO_EMAILS=oncall@example.com,ops@example.com",
		"OTELCOL_STORAGE_DIR="+t.TempDir(),
	)
	d.args, d.env = args, env
	d.start(t)
	return d
}

// start runs the collector and waits until it is healthy and subscribed to the bus.
func (d *deployment) start(t *testing.T) {
	d.proc = collectortest.Start(t, d.args, d.env...)
	_, _, err := collectortest.Get(collectortest.URL(d.ports.Health, "/"), 30*time.Second)
	require.NoError(t, err, "collector did not come up:\n%s", d.proc.Logs())
	// The tap subscribes asynchronously: wait until Redis reports our pattern subscription.
	require.True(t, collectortest.Eventually(15*time.Second, 100*time.Millisecond, func() bool {
		n, err := d.redis.Do("PUBSUB", "NUMPAT")
		return err == nil && n != ":0"
	}), "receiver never subscribed:\n%s", d.proc.Logs())
}

// restart stops the collector with SIGTERM and starts it again with the same config, ports and
// storage directory, as an operator's restart would.
func (d *deployment) restart(t *testing.T) {
	code, err := d.proc.Stop(20 * time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code, "exit code after SIGTERM:\n%s", d.proc.Logs())
	d.start(t)
}

func (d *deployment) publish(t *testing.T, m agentsim.Message) {
	_, err := d.redis.Do("PUBLISH", m.Channel, string(m.Body))
	require.NoError(t, err)
}

// runSteps publishes n one-step workflows on worker, each succeeding or failing.
func (d *deployment) runSteps(t *testing.T, worker string, n int, success bool) {
	for i := 0; i < n; i++ {
		w := agentsim.NewWorkflow(d.prefix, "order_processing")
		d.publish(t, w.Started())
		cmd, id := w.Command(worker, 30, map[string]any{"order_id": "ORDER-1"})
		d.publish(t, cmd)
		d.publish(t, w.Result(worker, id, success, "Payment gateway unreachable"))
		if success {
			d.publish(t, w.Completed())
		} else {
			d.publish(t, w.Compensated())
		}
	}
}

func (d *deployment) scrape(t *testing.T) string {
	_, body, err := collectortest.Get(collectortest.URL(d.ports.Prometheus, "/metrics"), 5*time.Second)
	require.NoError(t, err)
	return body
}

// series finds a Prometheus sample line of name whose labels contain every label="value" in labels.
func series(body, name string, labels ...string) (string, bool) {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			return line, true
		}
	}
	return "", false
}

var sampleValue = regexp.MustCompile(` ([0-9.eE+-]+)$`)

// mailsAbout counts the alert blocks for alertname in state (FIRING / RESOLVED) about worker across
// all mails; a mail lists every alert of its group (group_by alertname), so the worker is checked too.
func (d *deployment) mailsAbout(t *testing.T, alertname, state, worker string) (count int, last smtptest.Mail) {
	for _, m := range d.smtp.Mails() {
		text := strings.ReplaceAll(smtptest.Parse(t, m.Data).Text, "\r\n", "\n")
		if strings.Contains(text, "worker.name: "+worker) {
			if n := strings.Count(text, "Alert: "+alertname+"\nState: "+state); n > 0 {
				count += n
				last = m
			}
		}
	}
	return count, last
}

func TestWorkerFailureFiresAndResolvesThroughSlackPagerDutyAndEmail(t *testing.T) {
	d := startDeployment(t)
	const worker = "process_payment"

	// Healthy traffic first, then the worker starts failing every command.
	d.runSteps(t, worker, 3, true)
	d.runSteps(t, worker, 12, false)

	var body string
	require.True(t, collectortest.Eventually(45*time.Second, 500*time.Millisecond, func() bool {
		body = d.scrape(t)
		line, ok := series(body, "multiagents_alerts", `alertname="worker_failure"`, `alertstate="firing"`, `worker_name="`+worker+`"`)
		return ok && line != ""
	}), "worker_failure never fired on /metrics; last scrape:\n%s\nlogs:\n%s", body, d.proc.Logs())

	line, ok := series(body, "multiagents_worker_health", `state="failed"`, `worker_name="`+worker+`"`)
	require.True(t, ok, "no failed health series:\n%s", body)
	assert.Equal(t, "1", sampleValue.FindStringSubmatch(line)[1])
	_, ok = series(body, "multiagents_worker_executions_total", `status="error"`, `worker_name="`+worker+`"`)
	assert.True(t, ok, "receiver counters missing:\n%s", body)

	// Twelve failures also trip error_spike (> 10 in 5 min, severity error): PagerDuty gets that
	// incident too, under its own dedup_key. Follow the worker_failure incident by its summary.
	var trigger pdEvent
	require.True(t, collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		for _, e := range d.pd.byAction("trigger") {
			if strings.Contains(e.Payload.Summary, "worker_failure") {
				trigger = e
			}
		}
		return len(d.slack.matching("worker_failure")) > 0 && trigger.DedupKey != ""
	}), "no Slack message or PagerDuty trigger for worker_failure; pd events %+v; slack violations %v, pd violations %v\nlogs:\n%s", d.pd.Events(), d.slack.violations(), d.pd.Violations(), d.proc.Logs())
	assert.Equal(t, "error", trigger.Payload.Severity)
	assert.Equal(t, "multiagents-framework", trigger.Payload.Source)
	assert.Contains(t, trigger.Payload.Summary, worker)

	// The worker recovers: only successes from now on, and the failures age out of the recent window.
	resolvedIncident := func() bool {
		for _, e := range d.pd.byAction("resolve") {
			if e.DedupKey == trigger.DedupKey {
				return true
			}
		}
		return false
	}
	recovered := collectortest.Eventually(60*time.Second, time.Second, func() bool {
		d.runSteps(t, worker, 5, true)
		return resolvedIncident()
	})
	require.True(t, recovered, "PagerDuty never resolved the worker_failure incident; events %+v\nlogs:\n%s", d.pd.Events(), d.proc.Logs())
	require.True(t, collectortest.Eventually(10*time.Second, 200*time.Millisecond, func() bool {
		return len(d.slack.matching("worker_failure")) >= 2
	}), "no resolved Slack message: %v", d.slack.matching("worker_failure"))
	body = d.scrape(t)
	_, ok = series(body, "multiagents_alerts", `alertname="worker_failure"`, `alertstate="resolved"`, `worker_name="`+worker+`"`)
	assert.True(t, ok, "no resolved worker_failure series on /metrics:\n%s", body)

	triggers := 0
	for _, e := range d.pd.byAction("trigger") {
		if e.DedupKey == trigger.DedupKey {
			triggers++
		}
	}
	assert.Equal(t, 1, triggers, "one worker_failure incident, not one per evaluation")
	assert.Len(t, d.slack.matching("worker_failure"), 2, "one firing and one resolved Slack message")

	// E-mail: one firing mail to every recipient over STARTTLS after AUTH, then one resolved mail.
	require.True(t, collectortest.Eventually(30*time.Second, 500*time.Millisecond, func() bool {
		n, _ := d.mailsAbout(t, "worker_failure", "RESOLVED", worker)
		return n > 0
	}), "no resolved worker_failure mail; subjects %v", smtptest.Subjects(t, d.smtp.Mails()))
	firing, mail := d.mailsAbout(t, "worker_failure", "FIRING", worker)
	assert.Equal(t, 1, firing, "one firing mail for the incident: %v", smtptest.Subjects(t, d.smtp.Mails()))
	assert.ElementsMatch(t, []string{"oncall@example.com", "ops@example.com"}, mail.To)
	assert.True(t, mail.TLS, "mail sent after STARTTLS")
	assert.Equal(t, "alerts-bot", mail.AuthUser, "mail sent after AUTH")
	assert.Contains(t, smtptest.Parse(t, mail.Data).Subject, "[ERROR] ")
	assert.NotContains(t, d.proc.Logs(), smtpPassword, "the SMTP password leaked into the logs")
	assert.Empty(t, d.slack.violations(), "Slack contract violations")
	assert.Empty(t, d.pd.Violations(), "PagerDuty contract violations")
	assert.NotContains(t, d.proc.Logs(), routingKey, "the routing key leaked into the logs")
	assert.NotContains(t, d.proc.Logs(), notifytest.SlackWebhookPath, "the webhook URL leaked into the logs")

	code, err := d.proc.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
}
