//go:build e2e

package dashboard

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
)

// step is one worker of a simulated workflow and how often it fails: failEvery=5 fails every
// fifth command, failEvery=0 never fails. A deterministic pattern keeps worker_health's verdict
// stable (process_payment at 80% errors is failed on every evaluation).
type step struct {
	worker    string
	failEvery int
	failFirst int // of each failEvery commands, how many fail
	// compensation undoes this step when a later step fails.
	compensation string
}

// orderProcessing is the guide's example workflow: one healthy worker, one that fails now and
// then, one that fails enough to be classified failed and fire worker_failure.
var orderProcessing = []step{
	{worker: "validate_order", compensation: "cancel_order"},
	{worker: "check_inventory", failEvery: 10, failFirst: 1, compensation: "release_inventory"},
	{worker: "process_payment", failEvery: 5, failFirst: 4},
}

// reportGeneration is a second, always healthy workflow id.
var reportGeneration = []step{{worker: "generate_report"}}

// traffic publishes framework workflows on a real Redis until stopped or its time budget ends.
type traffic struct {
	redis   *testredis.Server
	prefix  string
	counter map[string]int
	// published counts messages, failed counts PUBLISH errors.
	published, failed atomic.Int64
	stop              context.CancelFunc
	wg                sync.WaitGroup
}

// startTraffic runs one orderProcessing and one reportGeneration workflow every tick, and
// leaves one workflow open for the whole run so active workflows never reads zero by accident.
func startTraffic(redis *testredis.Server, prefix string, tick, budget time.Duration) *traffic {
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	tr := &traffic{redis: redis, prefix: prefix, counter: map[string]int{}, stop: cancel}
	open := agentsim.NewWorkflow(prefix, "nightly_reconciliation")
	tr.publish(open.Started())
	tr.wg.Add(1)
	go func() {
		defer tr.wg.Done()
		ticker := time.NewTicker(tick)
		defer ticker.Stop()
		for {
			tr.run("order_processing", orderProcessing)
			tr.run("report_generation", reportGeneration)
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	return tr
}

// Stop ends the traffic and waits for the publisher to return.
func (tr *traffic) Stop() {
	tr.stop()
	tr.wg.Wait()
}

func (tr *traffic) publish(m agentsim.Message) {
	if _, err := tr.redis.Do("PUBLISH", m.Channel, string(m.Body)); err != nil {
		tr.failed.Add(1)
		return
	}
	tr.published.Add(1)
}

// run plays one workflow: a command and its result per step; on a failure, the compensations of
// the completed steps newest-first, then the compensated status, as the framework's orchestrator does.
func (tr *traffic) run(workflowID string, steps []step) {
	w := agentsim.NewWorkflow(tr.prefix, workflowID)
	tr.publish(w.Started())
	var done []struct{ step, compensation, commandID string }
	for _, s := range steps {
		cmd, id := w.Command(s.worker, 30, map[string]any{"order_id": "ORDER-1"})
		tr.publish(cmd)
		// A worker takes a little time, so latency histograms have something to show.
		time.Sleep(2 * time.Millisecond)
		n := tr.counter[s.worker]
		tr.counter[s.worker] = n + 1
		ok := s.failEvery == 0 || n%s.failEvery >= s.failFirst
		tr.publish(w.Result(s.worker, id, ok, "upstream unavailable"))
		if !ok {
			for i := len(done) - 1; i >= 0; i-- {
				if done[i].compensation != "" {
					tr.publish(w.Compensation(done[i].step, done[i].compensation, done[i].commandID))
				}
			}
			tr.publish(w.Compensated())
			return
		}
		done = append(done, struct{ step, compensation, commandID string }{s.worker, s.compensation, id})
	}
	tr.publish(w.Completed())
}
