package workerhealthprocessor

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver"
)

// publishRun publishes one workflow run on the real channels: started, one command to worker,
// its result duration later (by the events' own timestamps), completed or compensated.
func publishRun(t *testing.T, s *testredis.Server, worker string, duration time.Duration, success bool) {
	t.Helper()
	at := time.Now()
	wf := agentsim.NewWorkflow("multiagent:", "ecommerce_order_processing")
	wf.Now = func() time.Time { return at }
	cmd, id := wf.Command(worker, 30, map[string]any{"order_id": "ORDER-1"})
	msgs := []agentsim.Message{wf.Started(), cmd}
	at = at.Add(duration)
	msgs = append(msgs, wf.Result(worker, id, success, "Payment gateway unreachable"))
	if success {
		msgs = append(msgs, wf.Completed())
	} else {
		msgs = append(msgs, wf.Compensated())
	}
	for _, m := range msgs {
		_, err := s.Do("PUBLISH", m.Channel, string(m.Body))
		require.NoError(t, err)
	}
}

// latestExecutions reads the newest cumulative value of multiagents.worker.executions per worker/status.
func latestExecutions(sink *consumertest.MetricsSink) map[string]int64 {
	out := map[string]int64{}
	for _, md := range sink.AllMetrics() {
		rms := md.ResourceMetrics()
		for i := range rms.Len() {
			sms := rms.At(i).ScopeMetrics()
			for j := range sms.Len() {
				ms := sms.At(j).Metrics()
				for k := range ms.Len() {
					if m := ms.At(k); m.Name() == execName && m.Type() == pmetric.MetricTypeSum {
						dps := m.Sum().DataPoints()
						for l := range dps.Len() {
							w, _ := dps.At(l).Attributes().Get("worker.name")
							st, _ := dps.At(l).Attributes().Get("status")
							out[w.Str()+"/"+st.Str()] = dps.At(l).IntValue()
						}
					}
				}
			}
		}
	}
	return out
}

// Framework events on a real Redis → the real multiagents receiver → worker_health: the health
// series carry the states, rates, durations and issues the events imply. This is the scenario
// the end-to-end test through the built collector asserts on Prometheus.
func TestReceiverToWorkerHealthOverRealRedis(t *testing.T) {
	s := testredis.Start(t)

	cfg := testConfig()
	clk := newFakeClock(time.Now())
	sink := new(consumertest.MetricsSink)
	p, err := newMetricsProcessor(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink, clk)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })

	rf := multiagentsreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"redis":   map[string]any{"endpoint": s.Addr, "channel_prefix": "multiagent:", "reconcile": false},
		"metrics": map[string]any{"interval": "100ms"},
		"logs":    map[string]any{"enabled": false},
	}).Unmarshal(rcfg))
	require.NoError(t, confmap.Validate(rcfg))
	rcv, err := rf.CreateMetrics(context.Background(), receivertest.NewNopSettings(rf.Type()), rcfg, p)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })

	require.Eventually(t, func() bool {
		n, err := s.Do("PUBSUB", "NUMPAT") // an integer reply, ":1"
		v, _ := strconv.Atoi(strings.TrimPrefix(n, ":"))
		return err == nil && v > 0
	}, 10*time.Second, 10*time.Millisecond, "the receiver subscribes to the framework's channels")

	for range 10 {
		publishRun(t, s, "validate_order", 200*time.Millisecond, true)
	}
	for i := range 10 {
		publishRun(t, s, "process_payment", 7*time.Second, i >= 4)
	}
	require.Eventually(t, func() bool {
		e := latestExecutions(sink)
		return e["validate_order/success"] == 10 && e["process_payment/success"] == 6 && e["process_payment/error"] == 4
	}, 10*time.Second, 10*time.Millisecond, "the receiver counted every execution")

	s1 := tickAndWait(t, clk, sink, cfg.HealthCheckInterval)
	assert.Equal(t, "healthy", stateOf(s1, "validate_order"))
	assert.Equal(t, 1.0, s1[gaugeKey(metricSuccessRate, "validate_order")])
	assert.Equal(t, 0.0, s1[gaugeKey(metricErrorRate, "validate_order")])
	assert.InDelta(t, 0.2, s1[gaugeKey(metricDurationAvg, "validate_order")], 1e-6)
	assert.InDelta(t, 0.1+0.15*0.95, s1[gaugeKey(metricDurationP95, "validate_order")], 1e-9, "all in the (0.1, 0.25] bucket")
	for _, is := range issueNames {
		assert.Equal(t, 0.0, s1[issueKey("validate_order", is)], is)
	}

	assert.Equal(t, "degraded", stateOf(s1, "process_payment"))
	assert.InDelta(t, 0.6, s1[gaugeKey(metricSuccessRate, "process_payment")], 1e-9)
	assert.InDelta(t, 0.4, s1[gaugeKey(metricErrorRate, "process_payment")], 1e-9)
	assert.InDelta(t, 7.0, s1[gaugeKey(metricDurationAvg, "process_payment")], 1e-6)
	assert.InDelta(t, 5+5*0.95, s1[gaugeKey(metricDurationP95, "process_payment")], 1e-9, "all in the (5, 10] bucket")
	assert.Equal(t, 1.0, s1[issueKey("process_payment", "high_error_rate")])
	assert.Equal(t, 1.0, s1[issueKey("process_payment", "slow_execution")])
	assert.Equal(t, 0.0, s1[issueKey("process_payment", "unresponsive")])
	assert.InDelta(t, float64(clk.Now().Unix()), s1[gaugeKey(metricLastSeen, "process_payment")], 60)

	// No more events: the receiver keeps re-sending the same cumulative counts, which are not
	// executions, and command gauges of 0 (every command was answered): both workers are idle.
	// Silence fails neither; process_payment keeps its rate verdict while its executions are
	// in the recent window (its rate does not rise as they age), and is healthy once they left.
	for i := range 3 { // up to 120 s silent
		s := tickAndWait(t, clk, sink, cfg.HealthCheckInterval)
		assert.Equal(t, "healthy", stateOf(s, "validate_order"), "tick %d", i+2)
		assert.Equal(t, "degraded", stateOf(s, "process_payment"), "tick %d", i+2)
		assert.InDelta(t, 0.4, s[gaugeKey(metricErrorRate, "process_payment")], 1e-9)
		for _, w := range []string{"validate_order", "process_payment"} {
			assert.Equal(t, 0.0, s[issueKey(w, "unresponsive")], w)
		}
	}
	var last map[string]float64
	for range 8 { // past recent_window (5 min) since the executions
		last = tickAndWait(t, clk, sink, cfg.HealthCheckInterval)
	}
	for _, w := range []string{"validate_order", "process_payment"} {
		assert.Equal(t, "healthy", stateOf(last, w), "idle after traffic stopped: "+w)
		for _, is := range issueNames {
			assert.Equal(t, 0.0, last[issueKey(w, is)], w+" "+is)
		}
	}
}

// latestHealth folds every health batch the sink got, in order, into the latest value per series.
func latestHealth(sink *consumertest.MetricsSink) map[string]float64 {
	out := map[string]float64{}
	for _, md := range healthBatches(sink) {
		for k, v := range series(md) {
			out[k] = v
		}
	}
	return out
}

// The issue-11 situation through the real receiver on a real Redis: an upstream worker fails
// every order, so the downstream worker gets no commands (idle: healthy); a dead worker gets
// commands it never answers (failed, unresponsive, without waiting for the timer), and is
// healthy again once it answers.
func TestIdleDownstreamAndDeadWorkerOverRealRedis(t *testing.T) {
	s := testredis.Start(t)

	cfg := testConfig()
	cfg.ReportWindow = ReportRecent
	clk := newFakeClock(time.Now())
	sink := new(consumertest.MetricsSink)
	p, err := newMetricsProcessor(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink, clk)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })

	rf := multiagentsreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"redis":        map[string]any{"endpoint": s.Addr, "channel_prefix": "multiagent:", "reconcile": false},
		"metrics":      map[string]any{"interval": "100ms"},
		"logs":         map[string]any{"enabled": false},
		"transactions": map[string]any{"step_timeout_grace": "1s"},
	}).Unmarshal(rcfg))
	require.NoError(t, confmap.Validate(rcfg))
	rcv, err := rf.CreateMetrics(context.Background(), receivertest.NewNopSettings(rf.Type()), rcfg, p)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	require.Eventually(t, func() bool {
		n, err := s.Do("PUBSUB", "NUMPAT")
		v, _ := strconv.Atoi(strings.TrimPrefix(n, ":"))
		return err == nil && v > 0
	}, 10*time.Second, 10*time.Millisecond, "the receiver subscribes to the framework's channels")

	for range 10 {
		publishRun(t, s, "ship_order", 100*time.Millisecond, true)
	}
	for range 12 { // charge_payment fails every order: nothing reaches ship_order
		publishRun(t, s, "charge_payment", 100*time.Millisecond, false)
	}
	if !assert.Eventually(t, func() bool {
		h := latestHealth(sink)
		// ship_order did not change state (healthy from the start): only the timer reports it.
		return stateOf(h, "charge_payment") == "failed" && stateOf(h, "ship_order") == ""
	}, 10*time.Second, 10*time.Millisecond, "health followed the data, without a tick") {
		t.Fatalf("latest health %v; executions %v", latestHealth(sink), latestExecutions(sink))
	}

	// A dead worker: commands with timeout_seconds 1 that nobody answers.
	wf := agentsim.NewWorkflow("multiagent:", "ecommerce_order_processing")
	dead := func() {
		cmd, _ := wf.Command("reserve_inventory", 1, map[string]any{"order_id": "ORDER-2"})
		for _, m := range []agentsim.Message{wf.Started(), cmd} {
			_, err := s.Do("PUBLISH", m.Channel, string(m.Body))
			require.NoError(t, err)
		}
	}
	dead()
	require.Eventually(t, func() bool {
		h := latestHealth(sink)
		return stateOf(h, "reserve_inventory") == "failed" && h[issueKey("reserve_inventory", "unresponsive")] == 1
	}, 10*time.Second, 10*time.Millisecond, "unresponsive once its command passed timeout_seconds")

	// It keeps not answering, across the receiver's timeout of the first command and a new one.
	time.Sleep(1500 * time.Millisecond)
	dead()
	for range 3 {
		// The fake clock jumps a whole health_check_interval at once: let the receiver (metrics
		// every 100ms) refresh its command readings first, since a reading its source did not
		// refresh for that long is stale.
		time.Sleep(300 * time.Millisecond)
		h := tickAndWait(t, clk, sink, cfg.HealthCheckInterval)
		assert.Equal(t, "failed", stateOf(h, "reserve_inventory"))
		assert.Equal(t, 1.0, h[issueKey("reserve_inventory", "unresponsive")])
		assert.Equal(t, "healthy", stateOf(h, "ship_order"), "idle downstream of the failing step")
		assert.Equal(t, 0.0, h[issueKey("ship_order", "unresponsive")])
	}

	// It answers again.
	publishRun(t, s, "reserve_inventory", 10*time.Millisecond, true)
	require.Eventually(t, func() bool {
		h := latestHealth(sink)
		return stateOf(h, "reserve_inventory") != "failed" && h[issueKey("reserve_inventory", "unresponsive")] == 0
	}, 10*time.Second, 10*time.Millisecond, "answering ends unresponsiveness")
}
