//go:build loadtest

package load

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// TestOpenTransactionMemory measures the collector's live heap per open transaction at 100k open
// transactions (BENCH_OPEN_TX): a started workflow with one command in flight and no result, the
// command's payload an order of about 200 bytes that the receiver does not keep. Side by side, a
// second collector of the same binary and config takes the same 100k workflows run to completion
// (0 open at the end): the heap that traffic leaves behind without open state.
func TestOpenTransactionMemory(t *testing.T) {
	open := envInt("BENCH_OPEN_TX", map[bool]int{true: 20_000, false: 100_000}[quick()])
	flags := append([]string{
		fmt.Sprintf("--set=receivers::multiagents::transactions::max_open=%d", 2*open),
		"--set=receivers::multiagents::metrics::interval=1s",
	}, quietExporters...)

	measure := func(name string, complete bool) (before, after int64, active float64) {
		redis := testredis.Start(t)
		c := startCollector(t, redis.Addr, flags)
		waitSubscribed(t, c, redis)
		// Warm up: the same code paths and metric series exist before the first heap reading.
		warm := workflows(1000, true)
		publishPaced(t, redis.Addr, warm, 20_000)
		waitEvents(t, c, len(warm))
		before = heapAlloc(t, c)
		msgs := workflows(open, complete)
		publishPaced(t, redis.Addr, msgs, 20_000)
		waitEvents(t, c, len(warm)+len(msgs))
		// The active-workflows gauge is emitted every metrics interval.
		require.True(t, collectortest.Eventually(15*time.Second, 250*time.Millisecond, func() bool {
			active = sumSamples(scrape(t, c.ports.Prometheus), "multiagents_active_workflows")
			return active == float64(map[bool]int{true: 0, false: open}[complete])
		}), "%s: active workflows %.0f", name, active)
		after = heapAlloc(t, c)
		c.stop(t)
		t.Logf("%-22s heap before %6.1f MiB, after %6.1f MiB, active workflows %.0f", name,
			float64(before)/(1<<20), float64(after)/(1<<20), active)
		return before, after, active
	}
	b0, b1, _ := measure("baseline (completed)", true)
	o0, o1, _ := measure("open transactions", false)
	perOpen := float64(o1-o0) / float64(open)
	perBaseline := float64(b1-b0) / float64(open)
	t.Logf("per open transaction %.0f B (%.2f KiB); baseline %.0f B per completed transaction; net %.0f B (goal <= 2048 B)",
		perOpen, perOpen/1024, perBaseline, perOpen-perBaseline)
	result(t, "open_tx_memory", "open", open, "per_open_tx_bytes", int(perOpen), "baseline_per_tx_bytes", int(perBaseline),
		"net_bytes", int(perOpen-perBaseline), "heap_open_mib", fmt.Sprintf("%.1f", float64(o1)/(1<<20)),
		"heap_baseline_mib", fmt.Sprintf("%.1f", float64(b1)/(1<<20)))
}

// workflows renders n one-step workflows with distinct transaction ids: started and a command
// (timeout one hour, so no step times out during the run), then, when complete, the result and
// the completed status.
func workflows(n int, complete bool) []agentsim.Message {
	msgs := make([]agentsim.Message, 0, n*4)
	for i := 0; i < n; i++ {
		w := agentsim.NewWorkflow("multiagent:", "ecommerce_order_processing")
		msgs = append(msgs, w.Started())
		cmd, id := w.Command("validate_order", 3600, map[string]any{
			"order": map[string]any{"id": fmt.Sprintf("ORDER-%d", i), "total_amount": 1059.97,
				"items": []any{map[string]any{"sku": "A-1", "qty": 2, "price": 499.99}}},
			"customer_name": "John Doe", "customer_email": "john@example.com",
		})
		msgs = append(msgs, cmd)
		if complete {
			msgs = append(msgs, w.Result("validate_order", id, true, ""), w.Completed())
		}
	}
	return msgs
}

// waitEvents waits until the receiver has counted n events in all (nothing lost on the way).
func waitEvents(t *testing.T, c *collector, n int) {
	t.Helper()
	var got float64
	require.True(t, collectortest.Eventually(120*time.Second, 250*time.Millisecond, func() bool {
		got = sumSamples(scrape(t, c.ports.Prometheus), "multiagents_events_total")
		return got >= float64(n)
	}), "receiver counted %.0f of %d events\n%s", got, n, c.proc.Logs())
	require.Equal(t, float64(n), got, "events counted")
}
