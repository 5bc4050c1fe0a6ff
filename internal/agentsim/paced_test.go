package agentsim

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
)

// PublishPaced never sends more than rate × hold, every message it counts reaches a subscriber,
// in order, and a dead Redis ends the run with its error.
func TestPublishPacedOnARealServer(t *testing.T) {
	srv := testredis.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer sub.Close()
	ps := sub.PSubscribe(ctx, "multiagent:*")
	defer ps.Close()
	_, err := ps.Receive(ctx)
	require.NoError(t, err)

	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	n := 0
	next := func() (string, []byte) {
		n++
		return "multiagent:command.load", []byte(strconv.Itoa(n))
	}
	sent, achieved, err := PublishPaced(ctx, client, next, 2000, 300*time.Millisecond)
	require.NoError(t, err)
	require.Positive(t, sent)
	assert.LessOrEqual(t, sent, int64(600), "never ahead of rate × hold")
	assert.Positive(t, achieved)
	for i := 1; i <= int(sent); i++ {
		msg, err := ps.ReceiveMessage(ctx)
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), msg.Payload, "message %d arrives in order", i)
	}

	require.NoError(t, client.Close())
	_, _, err = PublishPaced(ctx, client, next, 2000, 100*time.Millisecond)
	assert.Error(t, err, "a closed client ends the run")
}
