package alertprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver"
)

// redisPipeline is the shipped metrics pipeline in process: a real redis-server, the
// multiagents receiver, worker_health and alert (shipped rules), with second-scale intervals.
type redisPipeline struct {
	t     *testing.T
	redis *testredis.Server
	sink  *consumertest.MetricsSink
}

func startRedisPipeline(t *testing.T, alertCfg *Config) *redisPipeline {
	t.Helper()
	ctx := context.Background()
	host := componenttest.NewNopHost()
	p := &redisPipeline{t: t, redis: testredis.Start(t), sink: new(consumertest.MetricsSink)}
	t.Cleanup(p.redis.Stop)

	alerts, err := NewFactory().CreateMetrics(ctx, processortest.NewNopSettings(metadata.Type), alertCfg, p.sink)
	require.NoError(t, err)

	healthFactory := workerhealthprocessor.NewFactory()
	healthCfg := healthFactory.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"health_check_interval": "50ms", "recent_window": "1s", "performance_window": "2s", "inactive_after": "1h",
	}).Unmarshal(healthCfg))
	health, err := healthFactory.CreateMetrics(ctx, processortest.NewNopSettings(healthFactory.Type()), healthCfg, alerts)
	require.NoError(t, err)

	recvFactory := multiagentsreceiver.NewFactory()
	recvCfg := recvFactory.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"redis":   map[string]any{"endpoint": p.redis.Addr},
		"metrics": map[string]any{"interval": "100ms"},
	}).Unmarshal(recvCfg))
	recv, err := recvFactory.CreateMetrics(ctx, receivertest.NewNopSettings(recvFactory.Type()), recvCfg, health)
	require.NoError(t, err)

	// Started back to front, as the collector does.
	require.NoError(t, alerts.Start(ctx, host))
	require.NoError(t, health.Start(ctx, host))
	require.NoError(t, recv.Start(ctx, host))
	t.Cleanup(func() {
		require.NoError(t, recv.Shutdown(ctx))
		require.NoError(t, health.Shutdown(ctx))
		require.NoError(t, alerts.Shutdown(ctx))
	})
	require.Eventually(t, func() bool {
		n, err := p.redis.Do("PUBSUB", "NUMPAT")
		return err == nil && n == ":1"
	}, 10*time.Second, 10*time.Millisecond, "receiver never subscribed")
	return p
}

func (p *redisPipeline) publish(m agentsim.Message) {
	p.t.Helper()
	_, err := p.redis.Do("PUBLISH", m.Channel, string(m.Body))
	require.NoError(p.t, err)
}

// runStep publishes one command and its result for worker payment_processor.
func (p *redisPipeline) runStep(success bool) { p.runStepOf("payment_processor", success) }

// runStepOf publishes a one-step workflow: a command and its result for the worker.
func (p *redisPipeline) runStepOf(worker string, success bool) {
	wf := agentsim.NewWorkflow("multiagent:", "order_processing")
	p.publish(wf.Started())
	cmd, id := wf.Command(worker, 30, nil)
	p.publish(cmd)
	p.publish(wf.Result(worker, id, success, "card declined"))
	if success {
		p.publish(wf.Completed())
	} else {
		p.publish(wf.Compensated())
	}
}

// state is the latest alertstate written for the rule's instance with these labels.
func (p *redisPipeline) state(rule string, labels map[string]string) string {
	all := p.sink.AllMetrics()
	for i := len(all) - 1; i >= 0; i-- {
		rm := all[i].ResourceMetrics()
		if rm.Len() == 1 && rm.At(0).ScopeMetrics().Len() == 1 && rm.At(0).ScopeMetrics().At(0).Scope().Name() == metadata.ScopeName {
			if s := stateOf(parseAlerts(p.t, all[i]), rule, labels); s != "" {
				return s
			}
		}
	}
	return ""
}

// waitFor repeats action until the rule's instance is in state want (bounded in time).
func (p *redisPipeline) waitFor(rule string, labels map[string]string, want string, action func()) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if action != nil {
			action()
		}
		if p.state(rule, labels) == want {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	p.t.Fatalf("%s %v did not become %q (last %q)", rule, labels, want, p.state(rule, labels))
}

// Framework events on a real Redis drive the shipped worker_failure rule to firing through
// the receiver and worker_health, and it resolves when the worker recovers.
func TestWorkerFailureFromRedisEvents(t *testing.T) {
	cfg := loadShippedConfig(t)
	cfg.EvaluationInterval = 50 * time.Millisecond
	p := startRedisPipeline(t, cfg)
	worker := map[string]string{"worker.name": "payment_processor"}
	p.waitFor("worker_failure", worker, "firing", func() { p.runStep(false) })
	p.waitFor("worker_failure", worker, "resolved", func() { p.runStep(true) })
}

// The receiver re-sends its cumulative counters every metrics.interval even when the bus is
// quiet; the shipped bus_silent rule (window shortened to 1 s) still fires, and resolves at
// the next event.
func TestBusSilentWithTheRealReceiver(t *testing.T) {
	cfg := loadShippedConfig(t)
	cfg.EvaluationInterval = 50 * time.Millisecond
	for i := range cfg.Rules {
		if cfg.Rules[i].Name == "bus_silent" {
			cfg.Rules[i].Window = time.Second
		}
	}
	p := startRedisPipeline(t, cfg)
	// Events flowing: never silent.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		p.runStep(true)
		time.Sleep(100 * time.Millisecond)
		require.NotEqual(t, "firing", p.state("bus_silent", nil))
	}
	// Quiet bus while the receiver keeps re-sending its counters.
	quietFrom := len(p.sink.AllMetrics())
	p.waitFor("bus_silent", nil, "firing", nil)
	resent := 0
	for _, md := range p.sink.AllMetrics()[quietFrom:] {
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if m.Name() == "multiagents.events" {
						resent++
					}
				}
			}
		}
	}
	require.Positive(t, resent, "the receiver re-sent multiagents.events while the bus was quiet, and the rule fired anyway")
	p.waitFor("bus_silent", nil, "resolved", func() { p.runStep(true) })
}

// The shipped high_error_rate (a ratio of the receiver's execution counters) and inhibit rules
// on real framework events: a worker failing every step fires worker_failure, and its
// high_error_rate is written "inhibited" in every evaluation in which worker_failure fires,
// never "firing"; a low-volume worker with 1 failure in 4 executions gets no high_error_rate
// instance at all (too little evidence).
func TestErrorRatioAndInhibitionFromRedisEvents(t *testing.T) {
	cfg := loadShippedConfig(t)
	cfg.EvaluationInterval = 50 * time.Millisecond
	for i := range cfg.Rules {
		if cfg.Rules[i].Name == "high_error_rate" {
			cfg.Rules[i].For = 0 // the 5m window stays: it covers the whole test
		}
	}
	p := startRedisPipeline(t, cfg)
	payment := map[string]string{"worker.name": "payment_processor"}
	validate := map[string]string{"worker.name": "validate_order"}
	for i := range 4 {
		p.runStepOf("validate_order", i != 2)
	}
	p.waitFor("worker_failure", payment, "firing", func() { p.runStep(false) })
	p.waitFor("high_error_rate", payment, "inhibited", func() { p.runStep(false) })

	evaluations, muted := 0, 0
	for _, md := range p.sink.AllMetrics() {
		rm := md.ResourceMetrics()
		if rm.Len() != 1 || rm.At(0).ScopeMetrics().Len() != 1 || rm.At(0).ScopeMetrics().At(0).Scope().Name() != metadata.ScopeName {
			continue
		}
		points := parseAlerts(t, md)
		evaluations++
		require.Empty(t, stateOf(points, "high_error_rate", validate), "1 failure in 4 executions is too little evidence")
		if stateOf(points, "worker_failure", payment) == "firing" {
			require.NotEqual(t, "firing", stateOf(points, "high_error_rate", payment), "never firing while worker_failure fires")
			if stateOf(points, "high_error_rate", payment) == "inhibited" {
				muted++
			}
		}
	}
	require.Positive(t, evaluations)
	require.Positive(t, muted)
}
