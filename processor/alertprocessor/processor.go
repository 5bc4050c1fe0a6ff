package alertprocessor

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// alertProcessor remembers the latest state of the series its rules read, evaluates the rules
// on its own ticker and writes multiagents.alerts to the next consumer.
type alertProcessor struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	next      consumer.Metrics
	id        component.ID
	version   string
	now       func() time.Time // the clock's Now (tests inject a clockwork.FakeClock)
	ctx       context.Context  // for the processor's own telemetry
	// processorAttr tells this processor's own telemetry from another alert processor's (the
	// component id, as on the collector's otelcol_processor_* metrics); noAttrs carries it alone.
	processorAttr  attribute.KeyValue
	noAttrs        metric.MeasurementOption
	instancesAttrs []metric.MeasurementOption // per writtenStates entry

	mu          sync.Mutex
	rules       []*compiledRule
	inhibits    []compiledInhibitRule
	stores      map[string]*metricStore
	seed        maphash.Seed
	seriesCount int
	startedAt   pcommon.Timestamp
	steps       stepper
	orphans     []orphan // restored instances of rules that are gone: written resolved once
	incBuckets  []uint64 // scratch: a histogram point's bucket increases

	client       storage.Client             // nil without the storage key
	silencer     silencesextension.Silencer // nil without the silences key
	writeFailing bool                       // a store failed and has not succeeded since (under emitMu)

	// emitMu orders whole evaluations (evaluate, hand on, store) between the ticker and
	// evaluations on arrival, so alert state reaches the notifiers and storage in the order it
	// was computed; stopped (under emitMu) ends evaluations on arrival once shutdown began.
	emitMu  sync.Mutex
	stopped bool

	// Evaluations on arrival, at most one per min_evaluation_interval (under arrivalMu): when
	// the last one began, and the timer of the deferred one, if any.
	arrivalMu      sync.Mutex
	lastArrival    time.Time
	arrivalTimer   *time.Timer
	arrivalsClosed bool

	stopTicker chan struct{}
	tickerDone chan struct{}
}

func newAlertProcessor(set processor.Settings, cfg *Config, next consumer.Metrics, clock clockwork.Clock) (*alertProcessor, error) {
	rules, err := compileRules(cfg.Rules, cfg.MinSamples, cfg.MaxTraceIDs)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		r.evaluationInterval = cfg.EvaluationInterval
	}
	inhibits, err := compileInhibitRules(cfg.InhibitRules)
	if err != nil {
		return nil, err
	}
	for i, labels := range unknownLabels(cfg.InhibitRules, cfg.Rules) {
		set.Logger.Warn("inhibit rule uses labels no alert has; they read as empty on every alert",
			zap.Int("inhibit_rule", i), zap.Strings("labels", labels),
			zap.String("alert_labels", "alertname, severity and the rules' group_by and static labels"))
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	processorAttr := attribute.String("processor", set.ID.String())
	p := &alertProcessor{
		cfg:           cfg,
		logger:        set.Logger,
		telemetry:     tb,
		next:          next,
		id:            set.ID,
		version:       set.BuildInfo.Version,
		now:           clock.Now,
		ctx:           context.Background(),
		processorAttr: processorAttr,
		noAttrs:       metric.WithAttributeSet(attribute.NewSet(processorAttr)),
		rules:         rules,
		inhibits:      inhibits,
		stores:        newMetricStores(rules, processorAttr),
		seed:          maphash.MakeSeed(),
		startedAt:     pcommon.NewTimestampFromTime(clock.Now()),
	}
	for _, st := range writtenStates {
		p.instancesAttrs = append(p.instancesAttrs, p.attrs(attribute.String("state", st)))
	}
	p.steps = stepper{
		maxInstances: cfg.MaxInstances,
		onOverflow:   p.instanceOverflow,
		onTransition: func(r *compiledRule, in *instance, _ alertState) {
			tb.ProcessorAlertTransitions.Add(p.ctx, 1, p.attrs(
				attribute.String("rule", r.cfg.Name), attribute.String("state", in.state.String())))
		},
	}
	return p, nil
}

// consume remembers what the rules need of md and, with evaluate_on_arrival, evaluates them
// at once when md held any of it: the alert state is handed on before md, which itself passes
// on unchanged. Nothing waits for the next tick, so a failure in md reaches the notifiers in
// the same pass through the pipeline.
func (p *alertProcessor) consume(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	now := p.now()
	p.mu.Lock()
	read := p.ingest(md, now)
	p.mu.Unlock()
	if read && p.cfg.EvaluateOnArrival {
		p.evaluateOnArrival(context.WithoutCancel(ctx))
	}
	return md, nil
}

// evaluateOnArrival evaluates now, or, within min_evaluation_interval of the last evaluation on
// arrival, once that has passed (one deferred evaluation covers every batch arriving meanwhile).
func (p *alertProcessor) evaluateOnArrival(ctx context.Context) {
	p.arrivalMu.Lock()
	now := p.now()
	wait := p.lastArrival.Add(p.cfg.MinEvaluationInterval).Sub(now)
	if wait > 0 {
		if p.arrivalTimer == nil && !p.arrivalsClosed {
			p.arrivalTimer = time.AfterFunc(wait, func() {
				p.arrivalMu.Lock()
				p.arrivalTimer = nil
				p.lastArrival = p.now()
				p.arrivalMu.Unlock()
				p.evaluateAndEmit(context.Background())
			})
		}
		p.arrivalMu.Unlock()
		return
	}
	p.lastArrival = now
	p.arrivalMu.Unlock()
	p.evaluateAndEmit(ctx)
}

func (p *alertProcessor) start(ctx context.Context, host component.Host) error {
	if err := p.openSilences(host); err != nil {
		return err
	}
	if err := p.openStorage(ctx, host); err != nil {
		return err
	}
	p.stopTicker = make(chan struct{})
	p.tickerDone = make(chan struct{})
	go p.runTicker(p.cfg.EvaluationInterval, p.stopTicker, p.tickerDone)
	return nil
}

func (p *alertProcessor) shutdown(ctx context.Context) error {
	if p.stopTicker != nil {
		close(p.stopTicker)
		p.stopTicker = nil
		select {
		case <-p.tickerDone:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.arrivalMu.Lock()
	p.arrivalsClosed = true
	if p.arrivalTimer != nil {
		p.arrivalTimer.Stop() // a deferred evaluation that already began ends at stopped below
		p.arrivalTimer = nil
	}
	p.arrivalMu.Unlock()
	p.emitMu.Lock()
	defer p.emitMu.Unlock()
	p.stopped = true
	return p.closeStorage(ctx)
}

func (p *alertProcessor) runTicker(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
			p.evaluateAndEmit(context.Background())
		}
	}
}

// evaluateAndEmit runs one evaluation at the clock's time, hands the alert state to the
// next consumer as its own pmetric.Metrics, then stores it when it changed: stored after it
// was handed on, so that a stored resolved instance has been written at least once.
func (p *alertProcessor) evaluateAndEmit(ctx context.Context) {
	p.emitMu.Lock()
	defer p.emitMu.Unlock()
	if p.stopped {
		return
	}
	md, ok, stored := p.evaluate(p.now())
	if ok {
		if err := p.next.ConsumeMetrics(ctx, md); err != nil {
			p.telemetry.ProcessorAlertEmitFailures.Add(p.ctx, 1, p.noAttrs)
			p.logger.Warn("could not hand multiagents.alerts to the next consumer", zap.Error(err))
		}
	}
	if stored != nil {
		p.persist(ctx, stored)
	}
}

// evaluate runs every rule at time now and returns the alert state to write (false when
// there is no instance at all) and, when a storage extension is used and the firing or
// resolved instances changed, their stored form.
func (p *alertProcessor) evaluate(now time.Time) (pmetric.Metrics, bool, []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rules {
		r.beginEvaluation()
	}
	evicted := 0
	for _, store := range p.stores {
		for key, s := range store.series {
			// A counter whose source stopped (a killed replica) keeps its increases within the
			// window: they happened, and dropping them would lower a sum the other replicas
			// still add to.
			if now.Sub(s.lastSeen) > p.cfg.StaleAfter && now.Sub(s.lastChanged) >= store.window {
				delete(store.series, key)
				evicted++
				continue
			}
			for i := range s.members {
				m := &s.members[i]
				if reason := m.rule.accumulate(s, m, now); reason != "" {
					p.ruleError(m.rule, reason)
				}
			}
		}
	}
	p.seriesCount -= evicted
	if evicted > 0 {
		p.telemetry.ProcessorAlertSeriesEvicted.Add(p.ctx, int64(evicted), p.noAttrs)
	}
	startedFor := now.Sub(p.startedAt.AsTime())
	for _, r := range p.rules {
		if r.absent {
			// No activity within the window; only once the processor has watched that long,
			// unless the instance was restored firing: then the silence since the restart
			// continues it.
			restoredFiring := r.instances[""] != nil && r.instances[""].state == stateFiring
			holds := r.activeSeries == 0 && (startedFor >= r.cfg.Window || restoredFiring)
			p.steps.observe(r, "", nil, float64(r.activeSeries), holds, now)
		} else {
			for _, g := range r.touched {
				if v, ok := r.result(g); ok {
					if holds := r.holds(v); holds || len(r.instances) > 0 {
						p.steps.observe(r, g.key, g.labels, v, holds, now)
					}
				}
				if in := r.instances[g.key]; in != nil && len(g.traces) > 0 {
					// The newest evidence of the group; an instance keeps what it last had
					// once its series stop carrying exemplars.
					in.traces = append(in.traces[:0], g.traces...)
				}
			}
			r.dropUntouchedGroups()
		}
		p.steps.finish(r, now, p.cfg.ResolvedRetention)
	}
	applyInhibitions(p.inhibits, p.rules, now)
	applySilences(p.silencer, p.rules, now)
	p.recordGauges()
	p.telemetry.ProcessorAlertEvaluations.Add(p.ctx, 1, p.noAttrs)
	md, ok := renderAlerts(p.rules, p.orphans, now, p.version)
	if len(p.orphans) > 0 {
		p.orphans = nil
		p.steps.changed = true
	}
	var stored []byte
	if p.client != nil && p.steps.changed {
		var err error
		if stored, err = encodeState(p.rules); err != nil {
			p.telemetry.ProcessorAlertStorageErrors.Add(p.ctx, 1, p.attrs(attribute.String("operation", "encode")))
			p.logger.Warn("Cannot encode alert state for storage", zap.Error(err))
		} else {
			p.steps.changed = false
		}
	}
	return md, ok, stored
}

// attrs is the measurement option of the processor's own telemetry: the processor attribute
// and the given ones.
func (p *alertProcessor) attrs(kv ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(append([]attribute.KeyValue{p.processorAttr}, kv...)...))
}

// writtenStates are the alertstate values, as counted by the instances gauge: a firing
// instance muted by an inhibit rule counts as inhibited, one matched by a silence as
// silenced, not firing.
var writtenStates = []string{statePending.String(), stateFiring.String(), stateInhibited, stateSilenced, stateResolved.String()}

func (p *alertProcessor) recordGauges() {
	counts := make(map[string]int64, len(writtenStates))
	for _, r := range p.rules {
		for _, in := range r.instances {
			counts[in.writtenState()]++
		}
	}
	for i, st := range writtenStates {
		p.telemetry.ProcessorAlertInstances.Record(p.ctx, counts[st], p.instancesAttrs[i])
	}
	p.telemetry.ProcessorAlertSeries.Record(p.ctx, int64(p.seriesCount), p.noAttrs)
}

func (p *alertProcessor) instanceOverflow(r *compiledRule) {
	p.telemetry.ProcessorAlertInstancesOverflow.Add(p.ctx, 1, p.attrs(attribute.String("rule", r.cfg.Name)))
	if !r.loggedOverflow {
		r.loggedOverflow = true
		p.logger.Warn("max_instances reached: new alert instances of this rule are not created",
			zap.String("rule", r.cfg.Name), zap.Int("max_instances", p.cfg.MaxInstances))
	}
}

// ruleError reports, once per rule and reason, a problem only visible at evaluation, such as
// quantile over a metric that turns out to be a gauge.
func (p *alertProcessor) ruleError(r *compiledRule, reason string) {
	if r.loggedMismatch[reason] {
		return
	}
	r.loggedMismatch[reason] = true
	p.telemetry.ProcessorAlertRuleErrors.Add(p.ctx, 1, p.attrs(
		attribute.String("rule", r.cfg.Name), attribute.String("reason", reason)))
	p.logger.Error("alert rule cannot be evaluated on some series; they are skipped",
		zap.String("rule", r.cfg.Name), zap.String("function", r.function), zap.String("metric", r.cfg.Metric), zap.String("reason", reason))
}
