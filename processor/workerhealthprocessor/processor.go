package workerhealthprocessor

import (
	"context"
	"sync"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
)

// workerHealthProcessor passes metrics through untouched, learns worker executions and
// command gauges from the configured inputs, and sends the health series to the next consumer:
// for the workers a batch changed, just before that batch; for every worker, on its own ticker.
type workerHealthProcessor struct {
	cfg       *Config
	logger    *zap.Logger
	next      consumer.Metrics
	clock     clockwork.Clock
	telemetry *metadata.TelemetryBuilder
	// Every own metric carries processor=<component id>, as the collector's otelcol_processor_*
	// metrics do, so two worker_health instances do not collide on /metrics.
	instance     metric.MeasurementOption
	evictedByMax metric.AddOption
	evictedByTTL metric.AddOption
	rejectedBy   [rejectReasonCount]metric.AddOption

	mu      sync.Mutex
	tracker *tracker
	warned  [rejectReasonCount]bool

	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
}

func newWorkerHealthProcessor(set processor.Settings, cfg *Config, next consumer.Metrics, clk clockwork.Clock) (*workerHealthProcessor, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	componentAttr := attribute.String("processor", set.ID.String())
	withReason := func(reason string) metric.AddOption {
		return metric.WithAttributeSet(attribute.NewSet(componentAttr, attribute.String("reason", reason)))
	}
	p := &workerHealthProcessor{
		cfg:          cfg,
		logger:       set.Logger,
		next:         next,
		clock:        clk,
		telemetry:    tb,
		instance:     metric.WithAttributeSet(attribute.NewSet(componentAttr)),
		evictedByMax: withReason("max_workers"),
		evictedByTTL: withReason("worker_ttl"),
		tracker:      newTracker(cfg),
	}
	for i, name := range rejectReasonNames {
		p.rejectedBy[i] = withReason(name)
	}
	return p, nil
}

// start begins the evaluation ticker. Cumulative series that started before now are taken
// as a baseline rather than counted, since their history predates this processor.
func (p *workerHealthProcessor) start(_ context.Context, _ component.Host) error {
	p.mu.Lock()
	p.tracker.startedAt = pcommon.Timestamp(p.clock.Now().UnixNano())
	p.mu.Unlock()
	if p.cfg.InactiveAfter != 0 {
		p.logger.Warn("inactive_after is deprecated and has no effect: a worker with no commands waiting is idle, not failed; " +
			"a worker is failed for silence only while it leaves commands unanswered (see unresponsive_after)")
	}

	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	tk := p.clock.NewTicker(p.cfg.HealthCheckInterval)
	go p.run(ctx, tk)
	return nil
}

func (p *workerHealthProcessor) run(ctx context.Context, tk clockwork.Ticker) {
	defer close(p.done)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.Chan():
			p.evaluateAndEmit(ctx)
		}
	}
}

func (p *workerHealthProcessor) shutdown(context.Context) error {
	p.stopOnce.Do(func() {
		if p.cancel != nil {
			p.cancel()
			<-p.done
		}
	})
	return nil
}

// processMetrics reads md and returns it unchanged. When md changed a worker's state or
// issues, the health series of those workers go to the next consumer first, so the data and
// the health it caused arrive downstream together (the alert processor then sees a worker's
// failure no later than the error counters behind it).
func (p *workerHealthProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	now := p.clock.Now().UnixNano()
	p.mu.Lock()
	p.tracker.ingest(md, now)
	health, changed := p.tracker.evaluateChanged(now)
	stats := p.tracker.drainStats()
	p.mu.Unlock()
	p.record(ctx, stats)
	if changed {
		p.emit(ctx, health)
	}
	return md, nil
}

// evaluateAndEmit classifies every worker and sends the health series downstream.
func (p *workerHealthProcessor) evaluateAndEmit(ctx context.Context) {
	now := p.clock.Now().UnixNano()
	p.mu.Lock()
	md := p.tracker.evaluate(now)
	stats := p.tracker.drainStats()
	tracked := p.tracker.workers.len()
	p.mu.Unlock()
	p.record(ctx, stats)
	p.telemetry.ProcessorWorkerHealthWorkersTracked.Record(ctx, int64(tracked), p.instance)
	p.emit(ctx, md)
}

// emit sends a health batch to the next consumer; an empty one is not sent.
func (p *workerHealthProcessor) emit(ctx context.Context, md pmetric.Metrics) {
	if md.DataPointCount() == 0 {
		return
	}
	if err := p.next.ConsumeMetrics(ctx, md); err != nil {
		p.telemetry.ProcessorWorkerHealthEmitFailures.Add(ctx, 1, p.instance)
		p.logger.Warn("Next consumer refused the worker health series", zap.Error(err))
	}
}

// record moves counts into the processor's telemetry and says once per reason, at warn level,
// why points are being rejected.
func (p *workerHealthProcessor) record(ctx context.Context, s ingestStats) {
	if s.evictedMax > 0 {
		p.telemetry.ProcessorWorkerHealthWorkersEvicted.Add(ctx, s.evictedMax, p.evictedByMax)
	}
	if s.evictedTTL > 0 {
		p.telemetry.ProcessorWorkerHealthWorkersEvicted.Add(ctx, s.evictedTTL, p.evictedByTTL)
	}
	if s.resets > 0 {
		p.telemetry.ProcessorWorkerHealthCounterResets.Add(ctx, s.resets, p.instance)
	}
	for reason, n := range s.rejected {
		if n == 0 {
			continue
		}
		p.telemetry.ProcessorWorkerHealthPointsRejected.Add(ctx, n, p.rejectedBy[reason])
		p.mu.Lock()
		first := !p.warned[reason]
		p.warned[reason] = true
		p.mu.Unlock()
		fields := []zap.Field{zap.String("reason", rejectReasonNames[reason]), zap.Int64("points", n), zap.String("detail", rejectReasonHelp[reason])}
		if first {
			p.logger.Warn("Rejected input points; further rejections for this reason are logged at debug level", fields...)
		} else {
			p.logger.Debug("Rejected input points", fields...)
		}
	}
}
