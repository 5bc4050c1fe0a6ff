package multiagentsreceiver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// A stalled pipeline must not stall the Redis socket: the queue fills, later messages are
// dropped and counted, and the connection stays up.
func TestFullQueueDropsInsteadOfBlockingRedis(t *testing.T) {
	release := make(chan struct{})
	blocked := make(chan struct{}, 1)
	h := startHarness(t, func(h *harness) {
		h.cfg.Redis.QueueSize = 4
		h.recv.decodedBuffer = 1
		h.cfg.Logs.Enabled = false
		stalling, err := consumer.NewTraces(func(context.Context, ptrace.Traces) error {
			select {
			case blocked <- struct{}{}:
			default:
			}
			<-release
			return nil
		})
		require.NoError(t, err)
		h.recv.nextTraces = stalling
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	h.publish(ch+"status.workflow", statusEvent("s", "first", "wf", "2025-08-05T00:00:00", "completed", "Workflow completed"))
	select {
	case <-blocked:
	case <-time.After(5 * time.Second):
		t.Fatal("pipeline never called")
	}
	const burst = 50
	for i := 0; i < burst; i++ {
		h.publish(ch+"status.workflow", statusEvent(fmt.Sprint("s", i), fmt.Sprint("tx", i), "wf", "2025-08-05T00:00:00", "completed", "Workflow completed"))
	}
	require.Eventually(t, func() bool {
		// 4 wait in the queue, 1 between decoder and assembler, 1 in the decoder's hand.
		return h.counterValue("otelcol_receiver_multiagents_queue_dropped", nil) == burst-6
	}, 5*time.Second, 10*time.Millisecond, "all but the 6 in flight dropped")
	close(release)
	h.waitProcessed(1 + 6)
	assert.Equal(t, 0.0, h.counterValue("otelcol_receiver_multiagents_redis_gaps", nil), "Redis never cut us off")

	// And the bus is read again once the pipeline moves.
	h.publish(ch+"status.workflow", statusEvent("s-late", "late", "wf", "2025-08-05T00:00:00", "completed", "Workflow completed"))
	h.waitProcessed(1 + 6 + 1)
}
