package emailexporter

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// maxQueuedDigests bounds the digests waiting while an earlier one is still being delivered
// (retried); past it a new digest is dropped, logged and counted.
const maxQueuedDigests = 16

// errShuttingDown refuses notifications that arrive after Shutdown began; exporterhelper retries them.
var errShuttingDown = errors.New("email: exporter is shutting down")

// deliverFunc sends one mail carrying the notifications; its error is classified like a Sender's.
type deliverFunc func(ctx context.Context, ns []notify.Notification) error

// digest is the notify.Sender when group_wait is set: the notifications that arrive within
// group_wait of the first one become one mail, so that a storm is one mail.
//
// The shared core hands over one notification at a time and records it as told when Send
// returns, so the digest accepts at once and delivers later: a digest's 4xx, connection and TLS
// failures are retried here with retry_on_failure's backoff, and a 5xx is logged and dropped.
// A digest still waiting when the collector stops is sent during Shutdown.
type digest struct {
	wait    time.Duration
	deliver deliverFunc
	backoff configretry.BackOffConfig
	logger  *zap.Logger
	// afterFunc runs f after d and returns its stop function; tests replace it to step time.
	afterFunc func(d time.Duration, f func()) (stop func() bool)

	mu        sync.Mutex
	pending   []notify.Notification
	stopTimer func() bool
	group     uint64 // counts groups, so that a timer that fired late cannot cut the next group short
	queue     chan []notify.Notification
	started   bool
	closed    bool

	ctx    context.Context // ends a delivery in progress when Shutdown runs out of time
	cancel context.CancelFunc
	done   chan struct{}

	stats     digestStats
	telemetry digestTelemetry
}

// digestStats counts what the digest did; tests read it.
type digestStats struct {
	// Mails delivered, and the alerts they carried.
	Mails, Alerts atomic.Int64
	// Dropped counts alerts not delivered: refused (5xx), retries exhausted, or queue full.
	Dropped atomic.Int64
}

type digestTelemetry struct {
	mails, dropped metric.Int64Counter
}

func newDigest(wait time.Duration, backoff configretry.BackOffConfig, deliver deliverFunc, logger *zap.Logger, meter metric.Meter) (*digest, error) {
	mails, err1 := meter.Int64Counter("otelcol_email_digest_mails",
		metric.WithDescription("Mails sent by the email exporter's group_wait digest."), metric.WithUnit("{mail}"))
	dropped, err2 := meter.Int64Counter("otelcol_email_digest_dropped",
		metric.WithDescription("Alerts in digests that were refused (5xx), retried past max_elapsed_time, or dropped on a full queue."),
		metric.WithUnit("{alert}"))
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &digest{
		wait:    wait,
		deliver: deliver,
		backoff: backoff,
		logger:  logger,
		afterFunc: func(d time.Duration, f func()) func() bool {
			return time.AfterFunc(d, f).Stop
		},
		queue:     make(chan []notify.Notification, maxQueuedDigests),
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
		telemetry: digestTelemetry{mails: mails, dropped: dropped},
	}, nil
}

// Start begins delivering digests.
func (d *digest) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.closed {
		return
	}
	d.started = true
	go d.run()
}

// Send adds n to the group being collected; the first of a group starts its group_wait.
func (d *digest) Send(_ context.Context, n notify.Notification) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errShuttingDown
	}
	d.pending = append(d.pending, n)
	if len(d.pending) == 1 {
		d.group++
		group := d.group
		d.stopTimer = d.afterFunc(d.wait, func() { d.flush(group) })
	}
	if len(d.pending) >= maxDigestAlerts {
		d.cutLocked()
	}
	return nil
}

// flush ends group, when it is still the one being collected, and queues it for delivery.
func (d *digest) flush(group uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if group == d.group {
		d.cutLocked()
	}
}

func (d *digest) cutLocked() {
	if d.stopTimer != nil {
		d.stopTimer()
		d.stopTimer = nil
	}
	if len(d.pending) == 0 {
		return
	}
	group := d.pending
	d.pending = nil
	select {
	case d.queue <- group:
	default:
		d.drop(group, "the digest queue is full (the SMTP server has been failing)", nil)
	}
}

func (d *digest) run() {
	defer close(d.done)
	for group := range d.queue {
		d.sendWithRetry(group)
	}
}

// sendWithRetry delivers one digest, retrying temporary failures with exponential backoff.
func (d *digest) sendWithRetry(group []notify.Notification) {
	start := time.Now()
	interval := d.backoff.InitialInterval
	for {
		err := d.deliver(d.ctx, group)
		if err == nil {
			d.stats.Mails.Add(1)
			d.stats.Alerts.Add(int64(len(group)))
			d.telemetry.mails.Add(context.Background(), 1)
			d.logger.Debug("Alert mail sent", zap.Int("alerts", len(group)))
			return
		}
		if consumererror.IsPermanent(err) {
			d.drop(group, "the SMTP server refused the mail; not retrying", err)
			return
		}
		if !d.backoff.Enabled || d.ctx.Err() != nil ||
			(d.backoff.MaxElapsedTime > 0 && time.Since(start)+interval > d.backoff.MaxElapsedTime) {
			d.drop(group, "giving up on the mail after retries", err)
			return
		}
		d.logger.Warn("Alert mail not delivered; retrying", zap.Int("alerts", len(group)),
			zap.Duration("retry_in", interval), zap.Error(err))
		timer := time.NewTimer(interval)
		select {
		case <-timer.C:
		case <-d.ctx.Done():
			timer.Stop()
		}
		next := time.Duration(float64(interval) * max(d.backoff.Multiplier, 1))
		if d.backoff.MaxInterval > 0 {
			next = min(next, d.backoff.MaxInterval)
		}
		interval = next
	}
}

func (d *digest) drop(group []notify.Notification, reason string, err error) {
	d.stats.Dropped.Add(int64(len(group)))
	d.telemetry.dropped.Add(context.Background(), int64(len(group)))
	names := make([]string, 0, min(len(group), 10))
	for _, n := range group[:min(len(group), 10)] {
		names = append(names, n.Name)
	}
	d.logger.Error("Alert mail dropped: "+reason, zap.Int("alerts", len(group)),
		zap.Strings("alertnames", names), zap.Error(err))
}

// Shutdown sends the group being collected and waits for the queued digests, until ctx ends.
func (d *digest) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.cutLocked()
	close(d.queue)
	started := d.started
	d.mu.Unlock()
	if !started {
		for group := range d.queue {
			d.drop(group, "the exporter stopped before it started", nil)
		}
		d.cancel()
		return nil
	}
	// Held mail gets the notify core's shutdown grace to go out, then retries stop: the
	// collector's shutdown context has no deadline, and an unreachable SMTP server must not hold
	// SIGTERM for the whole retry_on_failure budget.
	grace := time.NewTimer(notify.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-d.done:
	case <-ctx.Done():
	case <-grace.C:
	}
	d.cancel()
	<-d.done
	return nil
}
