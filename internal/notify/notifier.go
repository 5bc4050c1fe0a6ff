package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/storageclient"
)

// Sender delivers one group notification to one destination; it is all an integration
// implements. A nil error means delivered. An error marked with consumererror.NewPermanent is
// a refusal that retrying will not change; any other error is retried by the dispatcher with
// retry_on_failure's backoff (return a ThrottleError, as ErrorForStatus does, to ask for a delay).
type Sender interface {
	Send(ctx context.Context, n Notification) error
}

// SystemClock is the real clock. A notifier reads its time (Now) and runs its dispatcher's
// timers (After) on a clockwork.Clock; tests inject clockwork's FakeClock to step through
// group_wait, group_interval and repeats.
var SystemClock = clockwork.NewRealClock()

// Options identify a notifier's destination.
type Options struct {
	// Destination names the integration in logs and errors, e.g. "slack".
	Destination string
	// RateLimitKey identifies the destination (its URL or address) so that every notifier
	// sending there shares one rate limiter. It may be a secret: it is never printed.
	RateLimitKey string
	// Secrets are cut out of any error text before it is logged or returned, as a last guard.
	Secrets []string
	// Signal ("metrics" or "logs") separates the bookkeeping and the telemetry of one
	// component's two exporters.
	Signal string
	// Retry is the backoff of a failed group send (the exporter's retry_on_failure).
	Retry configretry.BackOffConfig
	// Meter records the notifier's counters; nil uses the settings' meter provider.
	Meter metric.Meter
	// Clock is the time source; nil is the system clock.
	Clock clockwork.Clock
}

// storageKey is the one key under which the bookkeeping is stored.
const storageKey = "notify_ledger"

// Notifier turns alert data into group notifications: it reads alerts into its groups, and its
// dispatcher sends each group when due, at the destination's rate limit.
type Notifier struct {
	cfg      Config
	opts     Options
	id       component.ID
	logger   *zap.Logger
	sender   Sender
	limiter  *RateLimiter
	minSev   Severity
	clock    clockwork.Clock
	disabled string // non-empty: the reason nothing is sent

	mu       sync.Mutex // guards groups, client, reported
	groups   *groups
	client   storage.Client
	reported map[string]bool // invalid-input messages already logged

	dispatchMu sync.Mutex    // one dispatch pass at a time: keeps sends in order
	kick       chan struct{} // new data: the dispatcher recomputes its timer
	stop       chan struct{} // closed at Shutdown: the dispatcher makes its last pass
	done       chan struct{} // closed when the dispatcher has returned
	started    bool
	stopOnce   sync.Once
	graceOnce  sync.Once

	telemetry telemetry
	stats     Stats

	// stopWaits ends rate-limit waits and sends in flight once shutdown has gone on for ShutdownGrace.
	stopWaits       context.Context
	cancelStopWaits context.CancelFunc
}

// ShutdownGrace is how long, once the collector shuts the exporter down, due notifications
// keep going out at the rate limit before the rest are left (with a storage extension, for the
// next start). Without it a backlog at 1/s would hold the shutdown.
const ShutdownGrace = 5 * time.Second

// Stats counts what a notifier did; tests and the benchmark read it.
type Stats struct {
	Sent, Rejected, Failed, Evicted, InvalidAlerts, StorageErrors, AbandonedAtShutdown atomic.Int64
}

// New returns a notifier that sends through sender.
func New(set exporter.Settings, cfg Config, sender Sender, opts Options) (*Notifier, error) {
	if opts.Clock == nil {
		opts.Clock = SystemClock
	}
	if opts.Meter == nil {
		opts.Meter = set.TelemetrySettings.MeterProvider.Meter("github.com/otelcol-multiagents/otelcol-multiagents/internal/notify")
	}
	tel, err := newTelemetry(opts.Meter, set.ID, opts.Signal)
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
		clock:           opts.Clock,
		groups: newGroups(groupSettings{
			groupBy: cfg.GroupBy, groupWait: cfg.GroupWait, groupInterval: cfg.GroupInterval,
			repeatInterval: cfg.RepeatInterval, sendResolved: cfg.SendResolved,
			maxGroups: cfg.MaxGroups, maxAlerts: cfg.MaxTrackedAlerts,
		}),
		reported:  make(map[string]bool),
		kick:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		telemetry: tel,
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

// Start loads the bookkeeping from the storage extension, when one is configured, and starts
// the dispatcher; groups that fell due while the collector was down are sent at once.
func (n *Notifier) Start(ctx context.Context, host component.Host) error {
	if n.disabled != "" {
		n.logger.Warn(n.disabled)
		return nil
	}
	if err := n.load(ctx, host); err != nil {
		return err
	}
	n.mu.Lock()
	n.started = true
	n.mu.Unlock()
	go n.dispatch()
	return nil
}

func (n *Notifier) load(ctx context.Context, host component.Host) error {
	if n.cfg.Storage == nil {
		return nil
	}
	client, err := storageclient.Open(ctx, host, *n.cfg.Storage, component.KindExporter, n.id, "notify_"+n.opts.Signal)
	if err != nil {
		return err
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
		evicted, err := n.groups.load(data)
		if err != nil {
			// Starting empty may repeat a page; refusing to start would send nothing at all.
			n.logger.Warn("Stored notification state is unreadable; starting without it", zap.Error(err))
			n.count(&n.stats.StorageErrors, n.telemetry.storageErrors)
		}
		n.addEvicted(context.Background(), evicted)
	}
	return nil
}

// Shutdown stops the dispatcher after one last pass that sends the groups due, and without a
// storage extension every group with news (not waiting for group_wait or group_interval, which
// would lose it), within ShutdownGrace counted from when the collector began to stop the
// exporter; then it closes the storage client.
func (n *Notifier) Shutdown(ctx context.Context) error {
	if n.disabled != "" {
		return nil
	}
	n.beginShutdown()
	n.mu.Lock()
	started := n.started
	n.mu.Unlock()
	n.stopOnce.Do(func() { close(n.stop) })
	if started {
		select {
		case <-n.done:
		case <-ctx.Done():
			n.cancelStopWaits()
			<-n.done
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.client == nil {
		return nil
	}
	err := n.client.Close(ctx)
	n.client = nil
	return err
}

// ConsumeMetrics reads the multiagents.alerts data points in md into the groups.
func (n *Notifier) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if n.disabled != "" {
		return nil
	}
	alerts, errs := AlertsFromMetrics(md)
	n.reportInvalid(ctx, errs)
	n.ingest(ctx, alerts)
	return nil
}

// ConsumeLogs reads the log records in ld at or above min_severity into the groups.
func (n *Notifier) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if n.disabled != "" {
		return nil
	}
	alerts, errs := AlertsFromLogs(ld, n.minSev, n.cfg.LogAlerts)
	n.reportInvalid(ctx, errs)
	n.ingest(ctx, alerts)
	return nil
}

// ingest records the alerts in their groups and wakes the dispatcher. It never waits for the
// destination, so the pipeline is never held by a slow webhook.
func (n *Notifier) ingest(ctx context.Context, alerts []Alert) {
	n.mu.Lock()
	changed, observed := false, false
	for _, a := range alerts {
		if a.Severity < n.minSev {
			continue
		}
		c, evicted := n.groups.observe(a, n.clock.Now())
		changed, observed = changed || c, true
		n.addEvicted(ctx, evicted)
	}
	if changed {
		n.persist(ctx)
	}
	n.mu.Unlock()
	if observed { // even an unchanged observation can make a group's repeat due again
		select {
		case n.kick <- struct{}{}:
		default:
		}
	}
}

// dispatch is the notifier's one goroutine: it sleeps until the next group is due (or new data
// arrives), sends what is due, and at shutdown makes one last pass.
func (n *Notifier) dispatch() {
	defer close(n.done)
	for {
		n.mu.Lock()
		next, ok := n.groups.nextDue()
		n.mu.Unlock()
		var timer <-chan time.Time
		// Once the shutdown grace is over, sends cannot go out: wait for the stop alone rather
		// than spin on groups that stay due.
		if ok && n.stopWaits.Err() == nil {
			timer = n.clock.After(max(next.Sub(n.clock.Now()), 0))
		}
		select {
		case <-n.stop:
			// Without storage, news still waiting for group_wait or group_interval would be
			// lost: send it now. With storage it is kept for the next start.
			n.mu.Lock()
			force := n.client == nil
			n.mu.Unlock()
			n.sendDue(n.stopWaits, force)
			n.mu.Lock()
			left, kept := n.groups.withNews(), n.client != nil
			n.mu.Unlock()
			if left > 0 {
				n.logger.Warn("Group notifications left unsent at shutdown", zap.String("destination", n.opts.Destination),
					zap.Int("groups", left), zap.Bool("kept_for_next_start", kept))
			}
			return
		case <-n.kick:
		case <-timer:
		}
		n.sendDue(n.stopWaits, false)
	}
}

// SendDue sends every group due now, in order of due time, and returns when they are done. The
// dispatcher calls it; tests with an injected clock call it after stepping the clock.
func (n *Notifier) SendDue(ctx context.Context) {
	if n.disabled == "" {
		n.sendDue(ctx, false)
	}
}

// sendDue sends the due groups (with force, every group with news). A retryable failure
// schedules the group's retry and goes on with the next group.
func (n *Notifier) sendDue(ctx context.Context, force bool) {
	n.dispatchMu.Lock()
	defer n.dispatchMu.Unlock()
	tried := make(map[*group]bool)
	for {
		n.mu.Lock()
		now := n.clock.Now()
		g := n.groups.dueGroup(now, force)
		if g == nil || tried[g] {
			n.mu.Unlock()
			return
		}
		tried[g] = true
		note, ok := n.groups.prepare(g, now)
		if !ok {
			n.groups.concludeQuiet(g, note)
			n.persist(ctx)
			n.mu.Unlock()
			continue
		}
		g.inFlight = true
		n.mu.Unlock()

		if err := n.waitForRateLimit(ctx); err != nil {
			// Shutting down (or ctx ended) before the group's turn: it keeps its news and stays
			// due (in storage, for the next start); the rest of the pass is left too.
			n.mu.Lock()
			n.groups.abort(g)
			n.mu.Unlock()
			n.count(&n.stats.AbandonedAtShutdown, n.telemetry.abandoned)
			return
		}
		err := n.redact(n.sender.Send(ctx, note))

		n.mu.Lock()
		now = n.clock.Now()
		switch {
		case err == nil:
			n.groups.concludeTold(g, note, true, now)
			n.delivered(ctx, note)
		case consumererror.IsPermanent(err):
			n.groups.concludeTold(g, note, false, now)
			n.refused(ctx, note, err)
		default:
			delay := n.retryDelay(g.Failures+1, err)
			n.groups.concludeFailed(g, now.Add(delay))
			n.failed(ctx, note, g.Failures, delay, err)
		}
		n.persist(ctx)
		n.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// retryDelay is retry_on_failure's exponential backoff for the attempt-th failure in a row, or
// the destination's Retry-After when that is longer. With retries disabled, the group is tried
// again at its next group_interval. A group is never given up: it is persisted, and dropping a
// page is worse than sending it late.
func (n *Notifier) retryDelay(attempt int, err error) time.Duration {
	if after, ok := RetryAfter(err); ok && n.clock == SystemClock { // the shared limiter runs on real time; an injected clock does not
		n.limiter.deferUntil(time.Now().Add(after))
	}
	return BackoffDelay(n.opts.Retry, attempt, n.cfg.GroupInterval, err)
}

// waitForRateLimit waits for the destination's token bucket, or until ctx ends, or until
// shutdown has used up its grace.
func (n *Notifier) waitForRateLimit(ctx context.Context) error {
	err := n.limiter.wait(ctx, n.stopWaits.Done())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errStopped):
		return fmt.Errorf("%s: shutting down; notification not sent", n.opts.Destination)
	default:
		return fmt.Errorf("%s: waiting for the rate limit: %w", n.opts.Destination, err)
	}
}

// beginShutdown gives due notifications ShutdownGrace to go out, then ends the waits.
func (n *Notifier) beginShutdown() {
	n.graceOnce.Do(func() { time.AfterFunc(ShutdownGrace, n.cancelStopWaits) })
}

func actionOf(note Notification) string {
	if note.GroupResolved() {
		return "resolve"
	}
	return "trigger"
}

func noteFields(note Notification) []zap.Field {
	return []zap.Field{
		zap.String("group", note.GroupKey), zap.String("status", string(note.Status)),
		zap.Int("firing", len(note.Firing)), zap.Int("resolved", len(note.Resolved)), zap.Bool("repeat", note.Repeat),
	}
}

func (n *Notifier) delivered(ctx context.Context, note Notification) {
	n.stats.Sent.Add(1)
	n.telemetry.sent.Add(ctx, 1, metric.WithAttributeSet(n.telemetry.withAction(actionOf(note))))
	n.logger.Debug("Notification sent", append(noteFields(note), zap.String("destination", n.opts.Destination))...)
}

// refused handles a permanent refusal: it is logged once, here, and not retried. The group
// waits as after a delivery; a refused resolve is dropped.
func (n *Notifier) refused(ctx context.Context, note Notification, err error) {
	n.stats.Rejected.Add(1)
	n.telemetry.rejected.Add(ctx, 1, metric.WithAttributeSet(n.telemetry.attrs))
	n.logger.Error("Notification refused by the destination; not retrying",
		append(noteFields(note), zap.String("destination", n.opts.Destination), zap.Error(err))...)
}

// failed handles a retryable failure: the first of a streak is a warning, the rest debug, so a
// destination that is down for an hour does not flood the log.
func (n *Notifier) failed(ctx context.Context, note Notification, streak int, retryIn time.Duration, err error) {
	n.stats.Failed.Add(1)
	n.telemetry.failed.Add(ctx, 1, metric.WithAttributeSet(n.telemetry.attrs))
	log := n.logger.Debug
	if streak == 1 {
		log = n.logger.Warn
	}
	log("Notification not delivered; retrying", append(noteFields(note),
		zap.String("destination", n.opts.Destination), zap.Duration("retry_in", retryIn), zap.Error(err))...)
}

// persist writes the groups when a storage extension is configured. A failure is logged and
// counted: the next change writes the whole state again.
func (n *Notifier) persist(ctx context.Context) {
	if n.client == nil {
		return
	}
	data, err := n.groups.marshal()
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
	n.telemetry.evicted.Add(ctx, int64(evicted), metric.WithAttributeSet(n.telemetry.attrs))
	n.logger.Warn("Notification bookkeeping is full; forgot the groups active longest ago",
		zap.String("destination", n.opts.Destination), zap.Int("evicted_alerts", evicted),
		zap.Int("max_tracked_alerts", n.cfg.MaxTrackedAlerts), zap.Int("max_groups", n.cfg.MaxGroups))
}

// maxReported bounds the set of invalid-input messages remembered for log-once.
const maxReported = 256

func (n *Notifier) reportInvalid(ctx context.Context, errs []error) {
	if len(errs) == 0 {
		return
	}
	n.stats.InvalidAlerts.Add(int64(len(errs)))
	n.telemetry.invalid.Add(ctx, int64(len(errs)), metric.WithAttributeSet(n.telemetry.attrs))
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
	counter.Add(context.Background(), 1, metric.WithAttributeSet(n.telemetry.attrs))
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

// telemetry are the notifier's counters. Every point carries the exporter's component id
// (attribute exporter, as the collector's own otelcol_exporter_* metrics) and the signal of the
// pipeline (metrics or logs), so that the slack, pagerduty and email exporters, and one
// component's two exporters, never write the same series.
type telemetry struct {
	sent, rejected, failed, evicted, invalid, storageErrors, abandoned metric.Int64Counter
	attrs                                                              attribute.Set
	byAction                                                           map[string]attribute.Set
}

func (t telemetry) withAction(action string) attribute.Set { return t.byAction[action] }

func newTelemetry(meter metric.Meter, id component.ID, signal string) (telemetry, error) {
	t := telemetry{
		attrs: attribute.NewSet(attribute.String("exporter", id.String()), attribute.String("signal", signal)),
		byAction: map[string]attribute.Set{
			"trigger": attribute.NewSet(attribute.String("exporter", id.String()), attribute.String("signal", signal), attribute.String("action", "trigger")),
			"resolve": attribute.NewSet(attribute.String("exporter", id.String()), attribute.String("signal", signal), attribute.String("action", "resolve")),
		},
	}
	var errs, err error
	t.sent, err = meter.Int64Counter("otelcol_notify_sent",
		metric.WithDescription("Group notifications delivered, by action (trigger, resolve)."), metric.WithUnit("{notification}"))
	errs = errors.Join(errs, err)
	t.rejected, err = meter.Int64Counter("otelcol_notify_rejected",
		metric.WithDescription("Group notifications the destination refused permanently (4xx, SMTP 5xx); not retried."), metric.WithUnit("{notification}"))
	errs = errors.Join(errs, err)
	t.failed, err = meter.Int64Counter("otelcol_notify_send_failures",
		metric.WithDescription("Group notification attempts that failed and will be retried (429, 5xx, SMTP 4xx, network)."), metric.WithUnit("{attempt}"))
	errs = errors.Join(errs, err)
	t.evicted, err = meter.Int64Counter("otelcol_notify_evicted",
		metric.WithDescription("Alert instances forgotten because max_tracked_alerts or max_groups was reached."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.invalid, err = meter.Int64Counter("otelcol_notify_invalid_alerts",
		metric.WithDescription("Alert data points or records skipped as invalid."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.storageErrors, err = meter.Int64Counter("otelcol_notify_storage_errors",
		metric.WithDescription("Failures to read or write the notification state in the storage extension."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	t.abandoned, err = meter.Int64Counter("otelcol_notify_abandoned_at_shutdown",
		metric.WithDescription("Group notifications left unsent because the exporter shut down while they waited for the rate limit."), metric.WithUnit("{notification}"))
	errs = errors.Join(errs, err)
	return t, errs
}
