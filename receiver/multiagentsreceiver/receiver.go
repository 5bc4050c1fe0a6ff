package multiagentsreceiver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

const (
	// maxBatchEvents bounds how many queued events go into one pipeline call.
	maxBatchEvents = 1024
	dataFormat     = "json"
)

// rawMessage is one message as read from Redis, not yet decoded. The body stays the string
// go-redis read: decoding views it in place (eventcodec.DecodeString) instead of copying it.
type rawMessage struct {
	channel string
	body    string
}

// multiAgentsReceiver is the one instance behind every pipeline that names the same
// multiagents configuration (see shared.go).
type multiAgentsReceiver struct {
	cfg       *Config
	settings  receiver.Settings
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	// component (receiver = the component id) is on every own metric, as on the collector's
	// otelcol_receiver_* metrics, so two multiagents receivers do not collide on /metrics.
	component attribute.KeyValue
	instance  metric.MeasurementOption
	obsRedis  *receiverhelper.ObsReport
	obsHTTP   *receiverhelper.ObsReport

	nextTraces  consumer.Traces
	nextMetrics consumer.Metrics
	nextLogs    consumer.Logs

	// Timing knobs; tests shorten them and replace the clock.
	now              func() time.Time
	sweepInterval    time.Duration
	reconnectInitial time.Duration
	reconnectMax     time.Duration
	healthInterval   time.Duration
	// decodedBuffer decouples the decoder from the assembler.
	decodedBuffer int

	// rejectWarned holds the rejection reasons already logged at warn level (a small fixed set).
	rejectWarned sync.Map

	asm        *assembler
	hostStats  *hostSampler
	queue      chan rawMessage
	decoded    chan decodedEvent
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	httpServer *http.Server
	httpAddr   string // where the push endpoint listens, once started
	tap        *redisTap
	// busSent is the bus state version the last metrics carried (busState.appendGauges).
	busSent atomic.Uint64

	// instanceID is service.instance.id on every resource this receiver emits.
	instanceID string
	// otherPartitionRedis is the pre-built attribute set of events left to another replica.
	otherPartitionRedis metric.MeasurementOption
	otherPartitionHTTP  metric.MeasurementOption
	// checkpoint persists how far the bus was applied; nil without storage.
	checkpoint *checkpointStore
}

func newReceiver(cfg *Config, set receiver.Settings) (*multiAgentsReceiver, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	obsRedis, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "redis", LongLivedCtx: true, ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	obsHTTP, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	componentAttr := attribute.String("receiver", set.ID.String())
	return &multiAgentsReceiver{
		cfg:                 cfg,
		settings:            set,
		logger:              set.Logger,
		telemetry:           tb,
		component:           componentAttr,
		instance:            metric.WithAttributeSet(attribute.NewSet(componentAttr)),
		obsRedis:            obsRedis,
		obsHTTP:             obsHTTP,
		now:                 time.Now,
		sweepInterval:       time.Second,
		reconnectInitial:    250 * time.Millisecond,
		reconnectMax:        30 * time.Second,
		healthInterval:      15 * time.Second,
		decodedBuffer:       4096,
		instanceID:          cfg.instanceID(),
		otherPartitionRedis: metric.WithAttributeSet(attribute.NewSet(componentAttr, attribute.String("transport", "redis"))),
		otherPartitionHTTP:  metric.WithAttributeSet(attribute.NewSet(componentAttr, attribute.String("transport", "http"))),
	}, nil
}

func (r *multiAgentsReceiver) registerTraces(next consumer.Traces)   { r.nextTraces = next }
func (r *multiAgentsReceiver) registerMetrics(next consumer.Metrics) { r.nextMetrics = next }
func (r *multiAgentsReceiver) registerLogs(next consumer.Logs)       { r.nextLogs = next }

// Start never waits for Redis: the tap connects, and reconnects, in the background.
func (r *multiAgentsReceiver) Start(ctx context.Context, host component.Host) error {
	emitLogs := r.cfg.Logs.Enabled && r.nextLogs != nil
	r.asm = newAssembler(r.cfg, r.logger, r.telemetry, r.now, emitLogs)
	r.asm.component = r.component
	// Resolved at Start, not at creation, so it sees the configuration as finally set.
	r.instanceID = r.cfg.instanceID()
	r.hostStats = newHostSampler()
	r.queue = make(chan rawMessage, r.cfg.Redis.QueueSize)
	since, err := r.openCheckpoint(ctx, host)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel

	if r.cfg.HTTP.HasValue() {
		if err := r.startHTTP(ctx, host); err != nil {
			cancel()
			r.closeCheckpoint(ctx)
			return err
		}
	}
	r.tap = newRedisTap(r, host, since)
	r.decoded = make(chan decodedEvent, r.decodedBuffer)
	r.wg.Add(5)
	go r.decodeLoop(runCtx)
	go r.assembleLoop()
	go r.sweepLoop(runCtx)
	go r.metricsLoop(runCtx)
	go r.tap.run(runCtx)
	return nil
}

// Shutdown stops reading, processes what was already queued, and emits the metrics one last time.
func (r *multiAgentsReceiver) Shutdown(ctx context.Context) error {
	if r.cancel == nil {
		return nil // never started
	}
	var errs error
	if r.httpServer != nil {
		errs = errors.Join(errs, r.httpServer.Shutdown(ctx))
	}
	r.cancel()
	r.wg.Wait()
	r.emitMetrics(ctx)
	r.closeCheckpoint(ctx)
	return errs
}

// decodedEvent is an event on its way from the decoder to the assembler.
type decodedEvent struct {
	ev      *eventcodec.Event
	channel string
}

// decodeLoop decodes queued messages in order and hands them to assembleLoop, so that
// decoding and assembly can run on two cores. It blocks on the assembler (the drop point
// is the raw queue in front of it, never the Redis socket). At shutdown it decodes what
// was queued, then closes its output.
func (r *multiAgentsReceiver) decodeLoop(ctx context.Context) {
	defer r.wg.Done()
	defer close(r.decoded)
	for {
		select {
		case m := <-r.queue:
			r.decodeOne(m)
		case <-ctx.Done():
			for {
				select {
				case m := <-r.queue:
					r.decodeOne(m)
				default:
					return
				}
			}
		}
	}
}

func (r *multiAgentsReceiver) decodeOne(m rawMessage) {
	ev, err := eventcodec.DecodeString(m.body)
	if err != nil {
		r.countRejected(err, "redis", m.channel)
		return
	}
	if !r.cfg.ownsTransaction(ev.TransactionID) {
		r.telemetry.ReceiverMultiagentsOtherPartitionEvents.Add(context.Background(), 1, r.otherPartitionRedis)
		return
	}
	r.decoded <- decodedEvent{ev: ev, channel: m.channel}
}

// assembleLoop applies decoded events in order and hands the output to the pipelines in
// batches of what is ready, at most maxBatchEvents events each.
func (r *multiAgentsReceiver) assembleLoop() {
	defer r.wg.Done()
	for d := range r.decoded {
		b := newOutputBatch()
		r.asm.apply(d.ev, d.channel, b)
	batch:
		for n := 1; n < maxBatchEvents; n++ {
			select {
			case d, ok := <-r.decoded:
				if !ok {
					break batch
				}
				r.asm.apply(d.ev, d.channel, b)
			default:
				break batch
			}
		}
		_ = r.flush(context.Background(), b, r.obsRedis)
	}
}

// countRejected counts a rejected event by reason and says why; the body is never logged,
// it may hold exactly what redaction exists for.
func (r *multiAgentsReceiver) countRejected(err error, transport, origin string) string {
	reason := eventcodec.ReasonInvalidJSON
	var de *eventcodec.Error
	if errors.As(err, &de) {
		reason = de.Reason
	}
	r.telemetry.ReceiverMultiagentsDecodeErrors.Add(context.Background(), 1,
		metric.WithAttributes(attribute.String("reason", reason), attribute.String("transport", transport), r.component))
	// Warn once per reason, then debug: a misbehaving publisher must not turn every message into
	// a log line; the counter above has them all.
	fields := []zap.Field{zap.String("reason", reason), zap.String("detail", err.Error()), zap.String("origin", origin)}
	if _, seen := r.rejectWarned.LoadOrStore(reason, true); seen {
		r.logger.Debug("Rejected a MultiAgents event", fields...)
	} else {
		r.logger.Warn("Rejected a MultiAgents event; further rejections for this reason are logged at debug level and counted in otelcol_receiver_multiagents_decode_errors", fields...)
	}
	return reason
}

// flush hands a batch to the pipelines. Data a pipeline refuses from Redis is lost (the bus
// does not replay); obsreport counts it as refused. The HTTP path returns the error.
func (r *multiAgentsReceiver) flush(ctx context.Context, b *outputBatch, obs *receiverhelper.ObsReport) error {
	var errs error
	if n := b.spans.Len(); n > 0 && r.nextTraces != nil {
		r.stampResource(b.traces.ResourceSpans().At(0).Resource())
		opCtx := obs.StartTracesOp(ctx)
		err := r.nextTraces.ConsumeTraces(opCtx, b.traces)
		obs.EndTracesOp(opCtx, dataFormat, n, err)
		errs = errors.Join(errs, err)
	}
	if n := b.records.Len(); n > 0 && r.nextLogs != nil {
		r.stampResource(b.logs.ResourceLogs().At(0).Resource())
		opCtx := obs.StartLogsOp(ctx)
		err := r.nextLogs.ConsumeLogs(opCtx, b.logs)
		obs.EndLogsOp(opCtx, dataFormat, n, err)
		errs = errors.Join(errs, err)
	}
	return errs
}

func (r *multiAgentsReceiver) sweepLoop(ctx context.Context) {
	defer r.wg.Done()
	t := time.NewTicker(r.sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.sweepNow()
		}
	}
}

// sweepNow runs the timers once (tests call it after moving their clock).
func (r *multiAgentsReceiver) sweepNow() {
	b := newOutputBatch()
	r.asm.sweep(b)
	if !b.empty() {
		_ = r.flush(context.Background(), b, r.obsRedis)
	}
}

// metricsLoop sends the metrics every metrics.interval (with the checkpoint), and in between,
// every metrics.max_delay, when something changed since the last time they went out: a
// failure reaches the alert rules within max_delay, while an idle bus costs one look per tick.
func (r *multiAgentsReceiver) metricsLoop(ctx context.Context) {
	defer r.wg.Done()
	heartbeat := time.NewTicker(r.cfg.Metrics.Interval)
	defer heartbeat.Stop()
	var changes <-chan time.Time
	if d := r.cfg.Metrics.MaxDelay; d > 0 && d < r.cfg.Metrics.Interval {
		t := time.NewTicker(d)
		defer t.Stop()
		changes = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-heartbeat.C:
			r.emitMetrics(ctx)
		case <-changes:
			if r.metricsDue() {
				r.sendMetrics(ctx)
			}
		}
	}
}

// metricsDue tells whether a change waits to be sent: in the transactions, their timers, or
// the bus connection.
func (r *multiAgentsReceiver) metricsDue() bool {
	if r.tap != nil && r.tap.bus.changedSince(r.busSent.Load()) {
		return true
	}
	return r.asm.metricsDue(r.now())
}

// emitMetrics sends the metrics and then saves the checkpoint (every metrics.interval and at
// shutdown).
func (r *multiAgentsReceiver) emitMetrics(ctx context.Context) {
	if r.nextMetrics == nil {
		// No metrics pipeline: the checkpoint still follows the same rhythm.
		if r.checkpoint != nil {
			r.saveCheckpoint(ctx, r.asm.snapshot())
		}
		return
	}
	exported, ok := r.sendMetricsSnapshot(ctx, r.checkpoint != nil)
	if !ok {
		return
	}
	// Saved right after the metrics went out, so the stored exported set is exactly the
	// workflows whose counts a restart must not repeat. Not after the sends in between
	// (max_delay): the set can be ~1 MiB, and rewriting it every second under load costs more
	// than what it protects (after a SIGKILL, workflows ended since the last save may be
	// re-counted once by the look-back).
	r.saveCheckpoint(ctx, exported)
}

// sendMetrics sends the metrics between two checkpoints.
func (r *multiAgentsReceiver) sendMetrics(ctx context.Context) {
	if r.nextMetrics != nil {
		r.sendMetricsSnapshot(ctx, false)
	}
}

// sendMetricsSnapshot builds the metrics (and, when asked, the checkpoint's snapshot taken with
// them) and hands them to the metrics pipeline; false when the pipeline refused them.
func (r *multiAgentsReceiver) sendMetricsSnapshot(ctx context.Context, snapshot bool) (*checkpointState, bool) {
	md, exported := r.asm.buildMetricsAndSnapshot(r.hostStats.sample(), snapshot)
	r.stampResource(md.ResourceMetrics().At(0).Resource())
	if r.tap != nil {
		r.busSent.Store(r.tap.bus.appendGauges(md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics(), pcommon.NewTimestampFromTime(r.now())))
	}
	opCtx := r.obsRedis.StartMetricsOp(context.WithoutCancel(ctx))
	err := r.nextMetrics.ConsumeMetrics(opCtx, md)
	r.obsRedis.EndMetricsOp(opCtx, dataFormat, md.DataPointCount(), err)
	if err != nil {
		r.logger.Warn("The metrics pipeline refused the MultiAgents metrics; the next emission carries the cumulative values again", zap.Error(err))
		return nil, false
	}
	return exported, true
}

func (a *assembler) buildMetrics(host hostUtilisation) pmetric.Metrics {
	md, _ := a.buildMetricsAndSnapshot(host, false)
	return md
}

// buildMetricsAndSnapshot returns the metrics and, when asked (a checkpoint is kept), the
// snapshot of what has been exported so far, taken under the same lock so the two agree.
func (a *assembler) buildMetricsAndSnapshot(host hostUtilisation, snapshot bool) (pmetric.Metrics, *checkpointState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	a.metricsChanged, a.nextGaugeChange = false, time.Time{}
	md := a.metrics.build(now, len(a.open), host)
	buildCommandGauges(md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics(), a.commandGauges(now), pcommon.NewTimestampFromTime(now))
	if !snapshot {
		return md, nil
	}
	return md, a.snapshotLocked(now)
}
