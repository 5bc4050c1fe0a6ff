package agentsim

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// PublishPaced PUBLISHes the messages next returns at rate per second for hold, in pipelines of
// at most 2000 every 5 ms, the way the load runs drive the bus. It returns how many it sent and
// the rate it achieved (below rate when the publisher itself cannot keep up). The loop is bounded
// by hold; the first failed pipeline ends it with its error.
func PublishPaced[Body string | []byte](ctx context.Context, client *redis.Client, next func() (channel string, body Body), rate int, hold time.Duration) (sent int64, achieved float64, err error) {
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		elapsed := time.Since(start)
		if elapsed >= hold {
			break
		}
		due := int64(elapsed.Seconds()*float64(rate)) - sent
		for due > 0 {
			n := min(due, 2000)
			pipe := client.Pipeline()
			for i := int64(0); i < n; i++ {
				channel, body := next()
				pipe.Publish(ctx, channel, body)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return sent, float64(sent) / time.Since(start).Seconds(), err
			}
			sent += n
			due -= n
		}
	}
	return sent, float64(sent) / time.Since(start).Seconds(), nil
}
