//go:build loadtest

package multiagentsreceiver

// The load run of the benchmark in benchmarks/multiagentsreceiver.md: realistic framework
// events are PUBLISHed to a real redis-server on loopback at rising rates; for the receiver
// and for a bare go-redis subscriber that only counts, it finds the highest rate sustained
// for the hold time with zero loss, and reports the ratio (goal >= 0.5).
//
//	go test -tags loadtest -run TestLoadZeroLossRate -v -timeout 60m ./receiver/multiagentsreceiver/ \
//	    -loadtest.hold=60s
//
// LOADTEST_HOLD (a Go duration) overrides -loadtest.hold.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

var (
	loadHold  = flag.Duration("loadtest.hold", 60*time.Second, "how long each rate is held")
	loadStart = flag.Int("loadtest.start", 5000, "first rate tried, events per second")
	loadMax   = flag.Int("loadtest.max", 1280000, "highest rate tried, events per second")
	loadSteps = flag.Int("loadtest.refine", 2, "bisection steps between the last good and the first failed rate")
	loadOnly  = flag.String("loadtest.only", "", "run only the subject whose name contains this (bare, receiver)")
)

// loadSubject is something that reads the bus and says how many messages it has taken in.
type loadSubject struct {
	name  string
	start func(t *testing.T, addr string) (count func() int64, lost func() bool, stop func())
}

func bareSubscriber() loadSubject {
	return loadSubject{name: "bare go-redis subscriber", start: func(t *testing.T, addr string) (func() int64, func() bool, func()) {
		client := redis.NewClient(&redis.Options{Addr: addr, MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
		ps := client.PSubscribe(context.Background(), ch+"*")
		_, err := ps.Receive(context.Background())
		require.NoError(t, err)
		var n atomic.Int64
		var disconnected atomic.Bool
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				msg, err := ps.ReceiveTimeout(context.Background(), 0)
				if err != nil {
					if !strings.Contains(err.Error(), "closed") {
						disconnected.Store(true)
					}
					return
				}
				if _, ok := msg.(*redis.Message); ok {
					n.Add(1)
				}
			}
		}()
		return n.Load, disconnected.Load, func() {
			_ = ps.Close()
			<-done
			_ = client.Close()
		}
	}}
}

func multiagentsReceiver() loadSubject {
	return loadSubject{name: "multiagents receiver", start: func(t *testing.T, addr string) (func() int64, func() bool, func()) {
		cfg := createDefaultConfig().(*Config)
		cfg.Redis.Endpoint = addr
		cfg.Redis.Reconcile = false
		set := receivertest.NewNopSettings(metadata.Type)
		set.Logger = zap.NewNop()
		tel := componenttest.NewTelemetry()
		set.TelemetrySettings = tel.NewTelemetrySettings()
		set.Logger = zap.NewNop()
		r, err := newReceiver(cfg, set)
		require.NoError(t, err)
		// Every signal is built and handed on, as in a real pipeline.
		r.registerTraces(consumertest.NewNop())
		r.registerMetrics(consumertest.NewNop())
		r.registerLogs(consumertest.NewNop())
		host := &statusHost{}
		require.NoError(t, r.Start(context.Background(), host))
		require.Eventually(t, func() bool {
			st := host.statuses()
			return len(st) > 0 && st[len(st)-1].String() == "StatusOK"
		}, 10*time.Second, 10*time.Millisecond)
		count := func() int64 {
			r.asm.mu.Lock()
			defer r.asm.mu.Unlock()
			var total int64
			for _, v := range r.asm.metrics.events {
				total += v
			}
			return total
		}
		lost := func() bool {
			h := &harness{t: t, telemetry: tel}
			drops := h.counterValue("otelcol_receiver_multiagents_queue_dropped", nil)
			gaps := h.counterValue("otelcol_receiver_multiagents_redis_gaps", nil)
			if drops > 0 || gaps > 0 {
				t.Logf("    receiver: %.0f messages dropped on a full decode queue, %.0f disconnects by Redis", drops, gaps)
			}
			return gaps > 0
		}
		return count, lost, func() { require.NoError(t, r.Shutdown(context.Background())) }
	}}
}

// eventStream produces realistic e-commerce events with a fresh transaction id for every
// transaction, by patching a hex counter into pre-rendered templates (cheap enough that the
// publisher is not the bottleneck of the receiver).
type eventStream struct {
	channels  []string
	templates [][]byte
	offsets   [][]int
	tx        uint64
	i         int
}

const txPlaceholder = "ffffffff-ffff"

func newEventStream() *eventStream {
	channels, bodies := ecommerceEvents(txPlaceholder + "-4000-8000-000000000000")
	s := &eventStream{channels: channels}
	for _, b := range bodies {
		var offs []int
		for i := 0; ; {
			j := strings.Index(b[i:], txPlaceholder)
			if j < 0 {
				break
			}
			offs = append(offs, i+j)
			i += j + len(txPlaceholder)
		}
		s.templates = append(s.templates, []byte(b))
		s.offsets = append(s.offsets, offs)
	}
	return s
}

func (s *eventStream) next() (string, string) {
	if s.i == len(s.templates) {
		s.i = 0
		s.tx++
	}
	idx := s.i
	s.i++
	body := append([]byte(nil), s.templates[idx]...)
	id := fmt.Sprintf("%08x-%04x", uint32(s.tx>>16), uint16(s.tx))
	for _, off := range s.offsets[idx] {
		copy(body[off:], id)
	}
	return s.channels[idx], string(body)
}

// publish sends events at rate per second for hold and returns how many it sent and the rate
// it achieved.
func publish(t *testing.T, addr string, rate int, hold time.Duration) (int64, float64) {
	client := redis.NewClient(&redis.Options{Addr: addr, MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	defer client.Close()
	sent, achieved, err := agentsim.PublishPaced(context.Background(), client, newEventStream().next, rate, hold)
	require.NoError(t, err)
	return sent, achieved
}

// runRate reports whether subject took in every event published at rate for hold.
func runRate(t *testing.T, srv *testredis.Server, subject loadSubject, rate int, hold time.Duration) (bool, float64) {
	count, lost, stop := subject.start(t, srv.Addr)
	defer stop()
	sent, achieved := publish(t, srv.Addr, rate, hold)
	// Let the subject drain what is in flight: wait until its count stops moving.
	last, stable := int64(-1), 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && stable < 5; {
		time.Sleep(100 * time.Millisecond)
		if c := count(); c == last {
			stable++
		} else {
			last, stable = c, 0
		}
		if last == sent {
			break
		}
	}
	got := count()
	disconnected := lost()
	ok := got == sent && !disconnected && achieved >= 0.95*float64(rate)
	t.Logf("%-26s target %7d/s achieved %9.0f/s sent %9d received %9d loss %7d -> %v",
		subject.name, rate, achieved, sent, got, sent-got, map[bool]string{true: "zero loss", false: "LOSS"}[ok])
	return ok, achieved
}

func maxZeroLossRate(t *testing.T, srv *testredis.Server, subject loadSubject, hold time.Duration) float64 {
	best, bestRate, failed := 0.0, 0, 0
	for rate := *loadStart; rate <= *loadMax; rate *= 2 {
		ok, achieved := runRate(t, srv, subject, rate, hold)
		if !ok {
			failed = rate
			break
		}
		best, bestRate = achieved, rate
	}
	for i := 0; i < *loadSteps && failed > 0 && failed-bestRate > *loadStart/2; i++ {
		mid := (bestRate + failed) / 2
		if ok, achieved := runRate(t, srv, subject, mid, hold); ok {
			best, bestRate = achieved, mid
		} else {
			failed = mid
		}
	}
	return best
}

func TestLoadZeroLossRate(t *testing.T) {
	hold := *loadHold
	if v := os.Getenv("LOADTEST_HOLD"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err)
		hold = d
	}
	srv := testredis.Start(t)
	t.Logf("hold per rate: %s (loopback redis-server at %s)", hold, srv.Addr)
	var bare, recv float64
	if !strings.Contains("receiver", *loadOnly) || *loadOnly == "" {
		bare = maxZeroLossRate(t, srv, bareSubscriber(), hold)
	}
	if !strings.Contains("bare", *loadOnly) || *loadOnly == "" {
		recv = maxZeroLossRate(t, srv, multiagentsReceiver(), hold)
	}
	ratio := 0.0
	if bare > 0 {
		ratio = recv / bare
	}
	t.Logf("RESULT max zero-loss rate: bare subscriber %.0f events/s, receiver %.0f events/s, ratio %.2f (goal >= 0.5), hold %s",
		bare, recv, ratio, hold)
	require.Greater(t, recv, 0.0, "the receiver sustained no rate at all")
}
