package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// Sender delivers one notification to one destination; it is all an integration implements.
// A nil error means delivered. An error marked with consumererror.NewPermanent is a refusal
// that retrying will not change; any other error is retried by exporterhelper (wrap it with
// exporterhelper.NewThrottleRetry to ask for a delay, as ErrorForStatus does).
type Sender interface {
	Send(ctx context.Context, n Notification) error
}

// Options identify a notifier's destination.
type Options struct {
	// Destination names the integration in logs and errors, e.g. "slack".
	Destination string
	// RateLimitKey identifies the destination (its URL or address) so that every notifier
	// sending there shares one rate limiter. It may be a secret: it is never printed.
	RateLimitKey string
	// Secrets are cut out of any error text before it is logged or returned, as a last guard.
	Secrets []string
	// Signal ("metrics" or "logs") separates the bookkeeping of one component's two exporters.
	Signal string
	// Meter records the notifier's counters; nil uses the settings' meter provider.
	Meter metric.Meter
	// Now is the clock; nil is time.Now. Tests inject one to step through cooldowns.
	Now func() time.Time
}

// storageKey is the one key under which the bookkeeping is stored.
const storageKey = "notify_ledger"

// Notifier turns alert data into notifications: it reads alerts, decides with its ledger what
// must be told, waits for the rate limiter, and hands each notification to its Sender.
type Notifier struct {
	cfg      Config
	opts     Options
	id       component.ID
	logger   *zap.Logger
	sender   Sender
	limiter  *RateLimiter
	minSev   Severity
	disabled string // non-empty: the reason nothing is sent

	mu       sync.Mutex // one push at a time: keeps order per fingerprint and the ledger consistent
	ledger   *ledger
	client   storage.Client
	reported map[string]bool // invalid-input messages already logged

	telemetry telemetry
	stats     Stats

	// stopWaits ends rate-limit waits once shutdown has gone on for ShutdownGrace.
	stopWaits       context.Context
	cancelStopWaits context.CancelFunc
}

// ShutdownGrace is how long, once the collector shuts the exporter down, queued notifications
// keep going out at the rate limit before the rest are given up (a persistent sending_queue
// keeps them for the next start). Without it a backlog at 1/s would hold the shutdown.
const ShutdownGrace = 5 * time.Second

// Stats counts what a notifier did; tests and the benchmark read it.
type Stats struct {
	Sent, Rejected, Evicted, InvalidAlerts, StorageErrors, AbandonedAtShutdown atomic.Int64
}

// New returns a notifier that sends through sender.
func New(set exporter.Settings, cfg Config, sender Sender, opts Options) (*Notifier, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Meter == nil {
		opts.Meter = set.TelemetrySettings.MeterProvider.Meter("github.com/otelcol-multiagents/otelcol-multiagents/internal/notify")
	}
	tel, err := newTelemetry(opts.Meter)
	if err != nil {
		return nil, err
	}
	stopWaits, cancelStopWaits := context.WithCancel(context.Background())
	return &Notifier{
		stopWaits:       stopWaits,
		cancelStopWaits: cancelStopWaits,
		cfg:             cfg,
		opts:            opts,
		id:              set.ID,
		logger:          set.Logger,
		sender:          sender,
		limiter:         sharedRateLimiter(opts.Destination+"\x00"+opts.RateLimitKey, cfg.RateLimit),
		minSev:          cfg.minSeverity(),
		ledger:          newLedger(cfg.MaxTrackedAlerts, cfg.RepeatInterval, cfg.SendResolved),
		reported:        make(map[string]bool),
		telemetry:       tel,
	}, nil
}

// NewDisabled returns a notifier that accepts data and sends nothing; Start logs reason once as a
// warning. It lets one shipped configuration run where the destination is not set up.
func NewDisabled(logger *zap.Logger, reason string) *Notifier {
	stopWaits, cancel := context.WithCancel(context.Background())
	return &Notifier{logger: logger, disabled: reason, stopWaits: stopWaits, cancelStopWaits: cancel}
}

// Stats returns the notifier's counters.
func (n *Notifier) Stats() *Stats { return &n.stats }

// Start loads the bookkeeping from the storage extension, when one is configured.
func (n *Notifier) Start(ctx context.Context, host component.Host) error {
	if n.disabled != "" {
		n.logger.Warn(n.disabled)
		return nil
	}
	if n.cfg.Storage == nil {
		return nil
	}
	ext, ok := host.GetExtensions()[*n.cfg.Storage]
	if !ok {
		return fmt.Errorf("storage: extension %q not found", n.cfg.Storage)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return fmt.Errorf("storage: extension %q is not a storage extension", n.cfg.Storage)
	}
	client, err := se.GetClient(ctx, component.KindExporter, n.id, "notify_"+n.opts.Signal)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	data, err := client.Get(ctx, storageKey)
	if err != nil {
		_ = client.Close(ctx)
		return fmt.Errorf("storage: reading notification state: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.client = client
	if data != nil {
		evicted, err := n.ledger.load(data)
		if err != nil {
			// Starting empty may repeat a page; refusing to start would send nothing at all.
			n.logger.Warn("Stored notification state is unreadable; starting without it", zap.Error(err))
			n.count(&n.stats.StorageErrors, n.telemetry.storageErrors)
		}
		n.addEvicted(context.Background(), evicted)
	}
	return nil
}

// Shutdown closes the storage client.
func (n *Notifier) Shutdown(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.client == nil {
		return nil
	}
	err := n.client.Close(ctx)
	n.client = nil
	return err
}

// ConsumeMetrics notifies about the multiagents.alerts data points in md.
func (n *Notifier) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if n.disabled != "" {
		return nil
	}
	alerts, errs := AlertsFromMetrics(md)
	n.reportInvalid(ctx, errs)
	return n.notify(ctx, alerts)
}

// ConsumeLogs notifies about the log records in ld at or above min_severity.
func (n *Notifier) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if n.disabled != "" {
		return nil
	}
	alerts, errs := AlertsFromLogs(ld, n.minSev, n.cfg.LogAlerts)
	n.reportInvalid(ctx, errs)
	return n.notify(ctx, alerts)
}

// notify tells what must be told, in order. A permanent refusal is logged, counted and recorded,
// and the next alerts still go out. A retryable failure stops the batch and is returned, so
// exporterhelper retries it; what was delivered before is in the ledger and is not sent twice.
func (n *Notifier) notify(ctx context.Context, alerts []Alert) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range alerts {
		if a.Severity < n.minSev {
			continue
		}
		now := n.opts.Now()
		act, repeat := n.ledger.decide(a, now)
		switch act {
		case actionNone:
			continue
		case actionForget:
			n.ledger.forget(a.Fingerprint)
			n.persist(ctx)
			continue
		}
		if err := n.waitForRateLimit(ctx); err != nil {
			return err
		}
		err := n.redact(n.sender.Send(ctx, Notification{Alert: a, Repeat: repeat}))
		now = n.opts.Now()
		switch {
		case err == nil:
			n.delivered(ctx, a, act, now)
		case consumererror.IsPermanent(err):
			n.refused(ctx, a, act, now, err)
		default:
			return err
		}
		n.persist(ctx)
	}
	return nil
}

// waitForRateLimit waits for the destination's token bucket, or until ctx ends, or until
// shutdown has used up its grace.
func (n *Notifier) waitForRateLimit(ctx context.Context) error {
	err := n.limiter.wait(ctx, n.stopWaits.Done())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errStopped):
		n.count(&n.stats.AbandonedAtShutdown, n.telemetry.abandoned)
		return fmt.Errorf("%s: shutting down; notification not sent", n.opts.Destination)
	default:
		return fmt.Errorf("%s: waiting for the rate limit: %w", n.opts.Destination, err)
	}
}

// beginShutdown gives queued notifications ShutdownGrace to go out, then ends the waits.
func (n *Notifier) beginShutdown() {
	time.AfterFunc(ShutdownGrace, n.cancelStopWaits)
}

func (n *Notifier) delivered(ctx context.Context, a Alert, act action, now time.Time) {
	kind := "trigger"
	if act == actionResolve {
		kind = "resolve"
		n.ledger.forget(a.Fingerprint)
	} else {
		n.addEvicted(ctx, n.ledger.fired(a.Fingerprint, now))
	}
	n.stats.Sent.Add(1)
	n.telemetry.sent.Add(ctx, 1, metric.WithAttributes(attribute.String("action", kind)))
	n.logger.Debug("Notification sent", zap.String("destination", n.opts.Destination),
		zap.String("alertname", a.Name), zap.String("fingerprint", a.Fingerprint), zap.String("action", kind))
}

// refused handles a permanent refusal: it is logged once, here, and not retried. A refused
// firing waits for its cooldown like a delivered one; a refused resolve is dropped.
func (n *Notifier) refused(ctx context.Context, a Alert, act action, now time.Time, err error) {
	if act == actionResolve {
		n.ledger.forget(a.Fingerprint)
	} else {
		n.addEvicted(ctx, n.ledger.rejected(a.Fingerprint, now))
	}
	n.count(&n.stats.Rejected, n.telemetry.rejected)
	n.logger.Error("Notification refused by the destination; not retrying",
		zap.String("destination", n.opts.Destination), zap.String("alertname", a.Name),
		zap.String("fingerprint", a.Fingerprint), zap.Error(err))
}

// persist writes the ledger when a storage extension is configured. A failure is logged and
// counted: the notification itself went out, and the next change writes the whole state again.
func (n *Notifier) persist(ctx context.Context) {
	if n.client == nil {
		return
	}
	data, err := n.ledger.marshal()
	if err == nil {
		err = n.client.Set(ctx, storageKey, data)
	}
	if err != nil {
		n.count(&n.stats.StorageErrors, n.telemetry.storageErrors)
		n.logger.Warn("Cannot store notification state", zap.String("destination", n.opts.Destination), zap.Error(err))
	}
}

func (n *Notifier) addEvicted(ctx context.Context, evicted int) {
	if evicted == 0 {
		return
	}
	n.stats.Evicted.Add(int64(evicted))
	n.telemetry.evicted.Add(ctx, int64(evicted))
	n.logger.Warn("Notification bookkeeping is full; forgot the alerts notified longest ago",
		zap.String("destination", n.opts.Destination), zap.Int("evicted", evicted),
		zap.Int("max_tracked_alerts", n.cfg.MaxTrackedAlerts))
}

// maxReported bounds the set of invalid-input messages remembered for log-once.
const maxReported = 256

func (n *Notifier) reportInvalid(ctx context.Context, errs []error) {
	if len(errs) == 0 {
		return
	}
	n.stats.InvalidAlerts.Add(int64(len(errs)))
	n.telemetry.invalid.Add(ctx, int64(len(errs)))
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, err := range errs {
		msg := err.Error()
		if n.reported[msg] {
			continue
		}
		if len(n.reported) >= maxReported {
			clear(n.reported)
		}
		n.reported[msg] = true
		n.logger.Warn("Skipping an invalid alert (logged once per distinct problem)",
			zap.String("destination", n.opts.Destination), zap.Error(err))
	}
}

func (n *Notifier) count(c *atomic.Int64, counter metric.Int64Counter) {
	c.Add(1)
	counter.Add(context.Background(), 1)
}

// redact cuts the secrets out of an error's text, keeping whether it is permanent.
func (n *Notifier) redact(err error) error { return Redact(err, n.opts.Secrets) }

// Redact cuts the secrets out of an error's text, keeping whether it is permanent. Senders
// whose errors can echo a secret (an SMTP server repeating a password) use it too.
func Redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	leaked := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
			leaked = true
		}
	}
	if !leaked {
		return err
	}
	if consumererror.IsPermanent(err) {
		return consumererror.NewPermanent(errors.New(msg))
	}
	return errors.New(msg)
}

type telemetry struct {
	sent, rejected, evicted, invalid, storageErrors, abandoned metric.Int64Counter
}

func newTelemetry(meter metric.Meter) (telemetry, error) {
	var t telemetry
	var errs, err error
	t.sent, err = meter.Int64Counter("otelcol_notify_sent",
		metric.WithDescription("Notifications delivered, by action (trigger, resolve)."), metric.WithUnit("{notification}"))
	errs = errors.Join(errs, err)
	t.rejected, err = meter.Int64Counter("otelcol_notify_rejected",
		metric.WithDescription("Notifications the destination refused permanently (4xx); not retried."), metric.WithUnit("{notification}"))
	errs = errors.Join(errs, err)
	t.evicted, err = meter.Int64Counter("otelcol_notify_evicted",
		metric.WithDescription("Alert instances forgotten because max_tracked_alerts was reached."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.invalid, err = meter.Int64Counter("otelcol_notify_invalid_alerts",
		metric.WithDescription("Alert data points or records skipped as invalid."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.storageErrors, err = meter.Int64Counter("otelcol_notify_storage_errors",
		metric.WithDescription("Failures to read or write the notification state in the storage extension."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	t.abandoned, err = meter.Int64Counter("otelcol_notify_abandoned_at_shutdown",
		metric.WithDescription("Notifications given up because the exporter shut down while they waited for the rate limit."), metric.WithUnit("{notification}"))
	errs = errors.Join(errs, err)
	return t, errs
}
