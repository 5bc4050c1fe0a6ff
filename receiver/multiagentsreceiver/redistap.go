package multiagentsreceiver

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v7"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

// redisTap reads the framework's bus with PSUBSCRIBE <prefix>*. Its reader only moves
// raw messages into the receiver's bounded queue and never waits on it: Redis cuts off a
// subscriber that falls behind, and everything published meanwhile is lost, so a full
// queue drops (and counts) rather than stalls the socket.
type redisTap struct {
	r       *multiAgentsReceiver
	host    component.Host
	client  *redis.Client
	pattern string

	mu      sync.Mutex
	current *redis.PubSub // closed on shutdown to unblock a read

	// bus is what the bus gauges report: subscribed or blind since when.
	bus *busState

	// dropLogged makes a burst of queue drops log once per connection.
	dropLogged atomic.Bool

	// One saga scan at a time: a reconnect while one runs asks for one more pass afterwards,
	// from the earliest gap asked for, instead of piling up full SCAN saga:* passes that would
	// only fight over the assembler on a flapping link.
	reconcileMu      sync.Mutex
	reconcileRunning bool
	reconcileAgain   bool
	reconcileSince   time.Time
	// firstSince is where the first reconciliation after Start begins (checkpoint or look-back).
	firstSince time.Time
}

func (t *redisTap) requestReconcile(ctx context.Context, since time.Time) {
	t.reconcileMu.Lock()
	if t.reconcileRunning {
		if !t.reconcileAgain || since.Before(t.reconcileSince) {
			t.reconcileSince = since
		}
		t.reconcileAgain = true
		t.reconcileMu.Unlock()
		return
	}
	t.reconcileRunning = true
	t.reconcileMu.Unlock()
	t.r.wg.Add(1)
	go func() {
		defer t.r.wg.Done()
		for {
			t.r.reconcile(ctx, t.client, since)
			t.reconcileMu.Lock()
			if !t.reconcileAgain || ctx.Err() != nil {
				t.reconcileRunning, t.reconcileAgain = false, false
				t.reconcileMu.Unlock()
				t.bus.markRepaired() // steps still open past their deadline now time out
				return
			}
			since, t.reconcileAgain = t.reconcileSince, false
			t.reconcileMu.Unlock()
		}
	}()
}

func newRedisTap(r *multiAgentsReceiver, host component.Host, firstSince time.Time) *redisTap {
	t := &redisTap{r: r, host: host, pattern: r.cfg.Redis.ChannelPrefix + "*", firstSince: firstSince, bus: newBusState(r.now())}
	r.asm.timeoutsHeld = t.bus.timeoutsHeld
	return t
}

func (t *redisTap) options(ctx context.Context) (*redis.Options, error) {
	cfg := t.r.cfg.Redis
	opts := &redis.Options{
		Addr:     cfg.Endpoint,
		Password: string(cfg.Password),
		DB:       cfg.DB,
		// The tap owns reconnection (with backoff and status reporting); commands used
		// for reconciliation fail fast instead of retrying on their own.
		MaxRetries:  -1,
		DialTimeout: 5 * time.Second,
		// Maintenance notifications are for managed clusters; a plain server rejects them.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	if !cfg.TLS.Insecure {
		tlsCfg, err := cfg.TLS.LoadTLSConfig(ctx)
		if err != nil {
			return nil, err
		}
		opts.TLSConfig = tlsCfg
	}
	return opts, nil
}

// run connects and reconnects forever, with capped exponential backoff, until ctx ends.
// Each state change is logged and reported once, not once per attempt.
func (t *redisTap) run(ctx context.Context) {
	defer t.r.wg.Done()
	logger := t.r.logger.With(zap.String("redis_endpoint", t.r.cfg.Redis.Endpoint))
	opts, err := t.options(ctx)
	if err != nil {
		logger.Error("Cannot build the Redis TLS configuration; the Redis tap stays off", zap.Error(err))
		componentstatus.ReportStatus(t.host, componentstatus.NewPermanentErrorEvent(err))
		return
	}
	t.client = redis.NewClient(opts)
	defer t.client.Close()
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.current != nil {
			_ = t.current.Close()
		}
	})
	defer stop()

	retry := t.r.reconnectBackoff()
	var (
		everUp       bool
		downReported bool
		gapStart     = t.firstSince
	)
	for ctx.Err() == nil {
		ps, err := t.subscribe(ctx)
		if err != nil {
			if !downReported {
				downReported = true
				if everUp {
					logger.Warn("Still cannot reach Redis; retrying in the background", zap.Error(err))
				} else {
					logger.Warn("Cannot reach Redis; the receiver is running and retrying in the background", zap.Error(err))
				}
				componentstatus.ReportStatus(t.host, componentstatus.NewRecoverableErrorEvent(err))
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry.NextBackOff()):
			}
			continue
		}
		retry.Reset()
		downReported = false
		t.bus.markConnected()
		t.dropLogged.Store(false)
		if everUp {
			gap := time.Since(gapStart)
			t.r.telemetry.ReceiverMultiagentsRedisReconnects.Add(ctx, 1, t.r.instance)
			t.r.telemetry.ReceiverMultiagentsRedisGapDuration.Add(ctx, gap.Seconds(), t.r.instance)
			logger.Info("Reconnected to Redis; events published during the gap were lost",
				zap.Duration("gap", gap), zap.String("pattern", t.pattern))
		} else {
			logger.Info("Subscribed to the MultiAgents event bus", zap.String("pattern", t.pattern))
		}
		componentstatus.ReportStatus(t.host, componentstatus.NewEvent(componentstatus.StatusOK))
		if t.r.cfg.Redis.Reconcile {
			t.requestReconcile(ctx, gapStart) // first connection: the checkpoint or look-back (zero: only open workflows); marks the gap repaired when done
		} else {
			t.bus.markRepaired() // nothing will repair it: steps time out again
		}
		everUp = true

		err = t.read(ctx, ps)
		t.mu.Lock()
		_ = ps.Close()
		t.current = nil
		t.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		gapStart = time.Now()
		t.bus.markDisconnected(t.r.now())
		t.r.telemetry.ReceiverMultiagentsRedisGaps.Add(ctx, 1, t.r.instance)
		logger.Warn("Lost the Redis connection; retrying in the background", zap.Error(err))
		componentstatus.ReportStatus(t.host, componentstatus.NewRecoverableErrorEvent(err))
		downReported = true
	}
}

// reconnectBackoff is the wait between reconnect attempts: doubling from reconnectInitial up
// to reconnectMax, without jitter; Reset after a successful subscribe.
func (r *multiAgentsReceiver) reconnectBackoff() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{InitialInterval: r.reconnectInitial, Multiplier: 2, MaxInterval: r.reconnectMax}
	b.Reset()
	return b
}

// subscribe opens a PSUBSCRIBE and waits for Redis to confirm it.
func (t *redisTap) subscribe(ctx context.Context) (*redis.PubSub, error) {
	ps := t.client.PSubscribe(ctx, t.pattern)
	t.mu.Lock()
	t.current = ps
	t.mu.Unlock()
	msg, err := ps.ReceiveTimeout(ctx, 5*time.Second)
	if err == nil {
		if _, ok := msg.(*redis.Subscription); !ok {
			err = errors.New("unexpected reply to PSUBSCRIBE")
		}
	}
	if err != nil {
		t.mu.Lock()
		_ = ps.Close()
		t.current = nil
		t.mu.Unlock()
		return nil, err
	}
	return ps, nil
}

// read moves messages into the queue until the connection fails. An idle connection is
// probed with PING so that a silent network failure is noticed.
func (t *redisTap) read(ctx context.Context, ps *redis.PubSub) error {
	for {
		msg, err := ps.ReceiveTimeout(ctx, t.r.healthInterval)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
				if err := ps.Ping(ctx); err != nil {
					return err
				}
				continue
			}
			return err
		}
		m, ok := msg.(*redis.Message)
		if !ok {
			continue // pong, subscription confirmations
		}
		select {
		case t.r.queue <- rawMessage{channel: m.Channel, body: m.Payload}:
		default:
			t.r.telemetry.ReceiverMultiagentsQueueDropped.Add(ctx, 1, t.r.instance)
			if !t.dropLogged.Swap(true) {
				t.r.logger.Warn("The decode queue is full; dropping Redis messages rather than falling behind the bus (see otelcol_receiver_multiagents_queue_dropped)",
					zap.Int("queue_size", cap(t.r.queue)))
			}
		}
	}
}
