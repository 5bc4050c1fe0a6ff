package multiagentsreceiver

import (
	"container/list"
	"context"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

// Span and attribute names: the trace contract in docs/architecture.md.
const (
	attrTransactionID     = "workflow.transaction_id"
	attrWorkflowStatus    = "workflow.status"
	attrStep              = "workflow.step"
	attrCommandID         = "multiagents.command_id"
	attrOriginalCommandID = "multiagents.original_command_id"
	attrCompensationType  = "multiagents.compensation_type"
	attrReconstructed     = "multiagents.reconstructed"
	attrIncomplete        = "multiagents.incomplete"
	attrEvicted           = "multiagents.evicted"
	attrTimedOut          = "multiagents.timed_out"
	attrErrorType         = "error.type"

	// frameworkTimeoutErrorType is error_details.error_type of a result the framework itself
	// timed out.
	frameworkTimeoutErrorType = "timeout"

	// Workflow terminal statuses (the framework's saga states, plus what the receiver decides).
	workflowCompleted   = "completed"
	workflowFailed      = "failed"
	workflowCompensated = "compensated"
	workflowCancelled   = "cancelled"
	workflowIncomplete  = "incomplete"

	// defaultCommandTimeout is the framework's default timeout_seconds.
	defaultCommandTimeout = 300 * time.Second
	// cancelLinger is how long a "compensated" workflow waits for the "Workflow cancelled"
	// status event that follows it when the workflow was cancelled rather than failed.
	cancelLinger = 2 * time.Second
	// maxNotesPerTransaction bounds the span events kept for a root span.
	maxNotesPerTransaction = 64
	// recentCapacity bounds the memory of ended commands and transactions.
	recentCapacity = 1 << 16
)

// Tags in the recent-commands set.
const (
	endedByResult uint8 = iota + 1
	endedByTimeout
)

// assembler turns decoded events into spans, log records and metric updates. One lock
// guards all of its state; the Redis path, the HTTP path and the sweeper share it.
type assembler struct {
	cfg         *Config
	logger      *zap.Logger
	telemetry   *metadata.TelemetryBuilder
	renderer    *payloadRenderer
	genAI       *genAI // nil unless genai.enabled
	now         func() time.Time
	emitLogs    bool
	sampleBound uint64 // a trace id whose first 8 bytes are below this is sampled

	// timeoutsHeld, when set, stops the sweep from timing out steps while it says so: after a
	// gap in the bus until saga:* reconcile has repaired it (busState.timeoutsHeld). A result
	// published during the gap is lost, and the reconcile completes its step; a step already
	// timed out would stay an unanswered command of its worker, which then looks unresponsive.
	timeoutsHeld func() bool

	mu       sync.Mutex
	open     map[string]*transaction
	order    *list.List // open transactions, oldest first
	commands *recentSet // ended command ids
	ended    *recentSet // ended transaction ids
	metrics  *workflowMetrics
	// runs holds completed run durations per workflow id, for the stuck threshold.
	runs *workflowRuns
	// workers holds, per worker that has had commands, what the command gauges need besides
	// the open steps; bounded by maxSeriesPerMetric (then one overflow entry).
	workers map[string]*workerCommands
	// metricsChanged is set by whatever changes a metric (an event, a timeout, an end) and
	// cleared when the metrics are built; nextGaugeChange is the earliest moment, found at the
	// last build, when time alone changes a gauge (a command turning overdue, a run stuck).
	// Together they tell the metrics loop whether a change is waiting to be sent.
	metricsChanged  bool
	nextGaugeChange time.Time

	// component tells this receiver instance's own telemetry apart from another's.
	component attribute.KeyValue
	// countOpts: see count.
	countOpts map[attribute.KeyValue]metric.MeasurementOption

	// applyNow is the receiver clock of the event being applied (zero outside apply): its log
	// record's observed time, without reading the clock again.
	applyNow time.Time
}

func newAssembler(cfg *Config, logger *zap.Logger, tb *metadata.TelemetryBuilder, now func() time.Time, emitLogs bool) *assembler {
	a := &assembler{
		cfg:       cfg,
		logger:    logger,
		telemetry: tb,
		renderer:  newPayloadRenderer(cfg.Redact.Keys, cfg.Payload.MaxSize),
		now:       now,
		emitLogs:  emitLogs,
		open:      map[string]*transaction{},
		order:     list.New(),
		commands:  newRecentSet(recentCapacity),
		ended:     newRecentSet(recentCapacity),
		metrics:   newWorkflowMetrics(now()),
		runs:      newWorkflowRuns(),
		workers:   map[string]*workerCommands{},
	}
	a.genAI = newGenAI(cfg, a.renderer)
	a.metrics.workflowGauges = a.workflowGauges
	switch rate := cfg.Sampling.Rate; {
	case rate >= 1:
		a.sampleBound = ^uint64(0)
	case rate > 0:
		a.sampleBound = uint64(rate * float64(^uint64(0)))
	}
	return a
}

// count adds n to one of the receiver's own counters. It runs under a.mu, in the event path
// (an eviction per transaction that never ends): the option of each attribute set it sees
// (none or one constant reason: a handful) is built once.
func (a *assembler) count(c metric.Int64Counter, n int64, attrs ...attribute.KeyValue) {
	if len(attrs) > 1 {
		if a.component.Valid() {
			attrs = append(attrs, a.component)
		}
		c.Add(context.Background(), n, metric.WithAttributes(attrs...))
		return
	}
	var key attribute.KeyValue
	if len(attrs) == 1 {
		key = attrs[0]
	}
	opt, ok := a.countOpts[key]
	if !ok {
		set := attrs
		if a.component.Valid() {
			set = append(set, a.component)
		}
		opt = metric.WithAttributeSet(attribute.NewSet(set...))
		if a.countOpts == nil {
			a.countOpts = map[attribute.KeyValue]metric.MeasurementOption{}
		}
		a.countOpts[key] = opt
	}
	c.Add(context.Background(), n, opt)
}

// apply processes one decoded event; channel is the Redis channel or "" for HTTP pushes.
func (a *assembler) apply(ev *eventcodec.Event, channel string, b *outputBatch) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.metricsChanged = true
	now := a.now()
	a.applyNow = now
	defer func() { a.applyNow = time.Time{} }()
	if ev.Timestamp.IsZero() {
		ev.Timestamp = now
	}
	// Free text kept past this event (root notes, log attributes) is capped like payloads.
	ev.Message = a.renderer.capString(ev.Message)
	ev.EventName = a.renderer.capString(ev.EventName)
	if ev.Kind == eventcodec.KindCustom {
		a.custom(ev, b)
		return
	}
	a.metrics.event(ev.Kind.MetricName(), eventSucceeded(ev))

	if _, ended := a.ended.get(hashKey(spanRoleRoot, ev.TransactionID)); ended {
		a.afterEnd(ev, b)
		return
	}
	tx := a.transaction(ev.TransactionID, ev.Timestamp, now, b)
	tx.lastSeen = now
	if ev.Timestamp.After(tx.lastEvent) {
		tx.lastEvent = ev.Timestamp
	}
	if tx.workflowID == "" && ev.Kind != eventcodec.KindResult && ev.Source != "" {
		// Orchestrator events carry the workflow id as their source.
		tx.workflowID = ev.Source
	}
	switch ev.Kind {
	case eventcodec.KindCommand:
		a.command(tx, ev, channel, now, b)
	case eventcodec.KindResult:
		a.result(tx, ev, b)
	case eventcodec.KindError:
		a.errorEvent(tx, ev, b)
	case eventcodec.KindCompensation:
		a.compensation(tx, ev, b)
	case eventcodec.KindStatus:
		a.status(tx, ev, now, b)
	}
}

func eventSucceeded(ev *eventcodec.Event) bool {
	switch ev.Kind {
	case eventcodec.KindResult:
		return ev.Success
	case eventcodec.KindError:
		return false
	case eventcodec.KindStatus:
		return !isFailureStatus(ev.Status) && !isCancel(ev)
	}
	return true
}

func isFailureStatus(s string) bool {
	return s == workflowFailed || s == workflowCompensated || s == workflowCancelled || s == "compensating"
}

func isCancel(ev *eventcodec.Event) bool {
	return ev.Status == workflowCancelled || strings.Contains(strings.ToLower(ev.Message), "cancel")
}

func (a *assembler) command(tx *transaction, ev *eventcodec.Event, channel string, now time.Time, b *outputBatch) {
	worker := ev.WorkerType
	if worker == "" {
		if kind, name := channelKind(channel, a.cfg.Redis.ChannelPrefix); kind == "command" {
			worker = name
		}
	}
	if worker == "" {
		worker = "unknown"
	}
	step := stepName(ev.CorrelationID, tx.id, false)
	if step == "" {
		step = worker
	}
	a.logEvent(a.sinkFor(tx, b), ev, tx.traceID, spanIDFor(spanRoleStep, ev.ID), func(attrs pcommon.Map) {
		attrs.PutStr(attrWorkerName, worker)
		attrs.PutStr(attrStep, step)
		attrs.PutStr(attrCommandID, ev.ID)
	})
	if a.findStep(tx, ev.ID) >= 0 {
		return // the same command published twice: one step
	}
	if _, done := a.commands.get(hashKey(spanRoleStep, ev.ID)); done {
		return
	}
	if !a.reserveSpan(tx) {
		return
	}
	timeout := defaultCommandTimeout
	if ev.TimeoutSeconds >= 0 {
		timeout = time.Duration(ev.TimeoutSeconds * float64(time.Second))
	}
	timeout += a.cfg.Transactions.StepTimeoutGrace
	a.trackWorker(worker)
	tx.steps = append(tx.steps, openStep{
		commandID:  ev.ID,
		workerType: worker,
		step:       step,
		start:      ev.Timestamp,
		timeout:    timeout,
		deadline:   now.Add(timeout),
	})
}

func (a *assembler) result(tx *transaction, ev *eventcodec.Event, b *outputBatch) {
	i := a.findStep(tx, ev.CommandID)
	if i < 0 {
		if tag, done := a.commands.get(hashKey(spanRoleStep, ev.CommandID)); done {
			a.countDuplicate(tag)
			a.workerAnswered(workerOrUnknown(ev.Source)) // late or not, the worker is alive
			return
		}
		// A result whose command was not seen (published during a gap, or a compensation's
		// own result): it still counts as an execution of its worker.
		if !ev.Success {
			a.markFailed(tx, b)
		}
		worker := workerOrUnknown(ev.Source)
		a.workerAnswered(worker)
		timedOut := reportsTimeout(ev)
		a.metrics.workerExecution(worker, ev.Success, 0, false,
			failureRef{traceID: tx.traceID, spanID: spanIDFor(spanRoleStep, ev.CommandID), at: ev.Timestamp})
		if a.genAI != nil {
			a.genAI.record(nil, a.metrics, worker, a.genAI.usage(ev.Payload)) // tokens were spent, span or not
		}
		a.logEvent(a.sinkFor(tx, b), ev, tx.traceID, spanIDFor(spanRoleStep, ev.CommandID), func(attrs pcommon.Map) {
			attrs.PutStr(attrWorkerName, worker)
			attrs.PutStr(attrCommandID, ev.CommandID)
			if timedOut {
				attrs.PutBool(attrTimedOut, true)
			}
		})
		return
	}
	step := a.removeStep(tx, i)
	a.commands.add(hashKey(spanRoleStep, step.commandID), endedByResult)
	a.workerAnswered(step.workerType)
	if !ev.Success {
		a.markFailed(tx, b)
	}
	timedOut := reportsTimeout(ev)
	dst := a.sinkFor(tx, b)
	span := a.stepSpan(dst, tx, step, ev.Timestamp)
	if a.genAI != nil {
		a.genAI.record(&span, a.metrics, step.workerType, a.genAI.usage(ev.Payload))
	}
	if !ev.Success {
		msg := ev.ErrorMessage
		if msg == "" {
			msg = "step failed"
		}
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage(a.renderer.capString(msg))
		if et := errorType(ev.ErrorDetails); et != "" {
			span.Attributes().PutStr(attrErrorType, et)
		}
		if timedOut {
			span.Attributes().PutBool(attrTimedOut, true)
		}
	}
	d := ev.Timestamp.Sub(step.start)
	a.metrics.workerExecution(step.workerType, ev.Success, d, true,
		failureRef{traceID: tx.traceID, spanID: span.SpanID(), at: ev.Timestamp})
	a.metrics.eventDurationSeconds(eventcodec.KindCommand.MetricName(), d)
	a.logEvent(dst, ev, tx.traceID, span.SpanID(), func(attrs pcommon.Map) {
		attrs.PutStr(attrWorkerName, step.workerType)
		attrs.PutStr(attrStep, step.step)
		attrs.PutStr(attrCommandID, step.commandID)
		if timedOut {
			attrs.PutBool(attrTimedOut, true)
		}
	})
}

// reportsTimeout says whether a result is the framework's own timeout of the step
// (success=false, error_details {"error_type":"timeout"}): marked like a receiver timeout.
func reportsTimeout(ev *eventcodec.Event) bool {
	return !ev.Success && errorType(ev.ErrorDetails) == frameworkTimeoutErrorType
}

func (a *assembler) countDuplicate(tag uint8) {
	kind := "duplicate"
	if tag == endedByTimeout {
		kind = "late"
	}
	a.count(a.telemetry.ReceiverMultiagentsDuplicateResults, 1, attribute.String("kind", kind))
}

func workerOrUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (a *assembler) errorEvent(tx *transaction, ev *eventcodec.Event, b *outputBatch) {
	a.markFailed(tx, b)
	spanID := spanIDFor(spanRoleRoot, tx.id)
	if i := a.findStep(tx, ev.CommandID); ev.CommandID != "" && i >= 0 {
		step := a.removeStep(tx, i)
		a.commands.add(hashKey(spanRoleStep, step.commandID), endedByResult)
		span := a.stepSpan(b, tx, step, ev.Timestamp)
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage(a.renderer.capString(ev.ErrorMessage))
		spanID = span.SpanID()
		d := ev.Timestamp.Sub(step.start)
		a.metrics.workerExecution(step.workerType, false, d, true,
			failureRef{traceID: tx.traceID, spanID: spanID, at: ev.Timestamp})
		a.metrics.eventDurationSeconds(eventcodec.KindCommand.MetricName(), d)
	} else if len(tx.notes) < maxNotesPerTransaction {
		tx.notes = append(tx.notes, rootNote{name: "error", ts: ev.Timestamp, message: a.renderer.capString(ev.ErrorMessage)})
	}
	a.logEvent(b, ev, tx.traceID, spanID, nil)
}

func (a *assembler) compensation(tx *transaction, ev *eventcodec.Event, b *outputBatch) {
	a.markFailed(tx, b)
	spanID := spanIDFor(spanRoleCompensation, ev.ID)
	step := stepName(ev.CorrelationID, tx.id, true)
	if a.reserveSpan(tx) {
		span := b.spans.AppendEmpty()
		span.SetTraceID(tx.traceID)
		span.SetSpanID(spanID)
		span.SetParentSpanID(spanIDFor(spanRoleRoot, tx.id))
		name := ev.CompensationType
		if name == "" {
			name = step
		}
		span.SetName("compensation." + workerOrUnknown(name))
		span.SetKind(ptrace.SpanKindInternal)
		// The framework reports no end of a compensation: the span marks the moment it was ordered.
		ts := pcommon.NewTimestampFromTime(ev.Timestamp)
		span.SetStartTimestamp(ts)
		span.SetEndTimestamp(ts)
		attrs := span.Attributes()
		attrs.PutStr(attrTransactionID, tx.id)
		attrs.PutStr(attrStep, step)
		// The compensation event's own id is not a command id: multiagents.command_id would
		// make the compensation look like the step itself in a search by command.
		attrs.PutStr(attrEventID, ev.ID)
		attrs.PutStr(attrOriginalCommandID, ev.OriginalCommandID)
		attrs.PutStr(attrCompensationType, ev.CompensationType)
		if ev.OriginalCommandID != "" {
			link := span.Links().AppendEmpty()
			link.SetTraceID(tx.traceID)
			link.SetSpanID(spanIDFor(spanRoleStep, ev.OriginalCommandID))
			link.Attributes().PutStr("link.type", "compensates")
		}
	}
	a.logEvent(b, ev, tx.traceID, spanID, func(attrs pcommon.Map) {
		attrs.PutStr(attrStep, step)
		attrs.PutStr(attrOriginalCommandID, ev.OriginalCommandID)
		attrs.PutStr(attrCompensationType, ev.CompensationType)
	})
}

func (a *assembler) status(tx *transaction, ev *eventcodec.Event, now time.Time, b *outputBatch) {
	if len(tx.notes) < maxNotesPerTransaction {
		tx.notes = append(tx.notes, rootNote{name: "status", ts: ev.Timestamp, status: ev.Status, message: ev.Message})
	}
	if isFailureStatus(ev.Status) || isCancel(ev) {
		a.markFailed(tx, b)
	}
	a.logEvent(a.sinkFor(tx, b), ev, tx.traceID, spanIDFor(spanRoleRoot, tx.id), func(attrs pcommon.Map) {
		attrs.PutStr(attrWorkflowStatus, ev.Status)
	})
	switch {
	case isCancel(ev):
		a.finalize(tx, workflowCancelled, ev.Timestamp, "", b)
	case ev.Status == workflowCompleted:
		a.finalize(tx, workflowCompleted, ev.Timestamp, "", b)
	case ev.Status == workflowFailed:
		a.finalize(tx, workflowFailed, ev.Timestamp, "", b)
	case ev.Status == workflowCompensated:
		tx.pendingStatus = workflowCompensated
		tx.pendingAt = ev.Timestamp
		tx.lingerUntil = now.Add(cancelLinger)
	case ev.Status == "running" || ev.Status == "pending":
		if !tx.startKnown {
			tx.startKnown = true
			tx.start = ev.Timestamp
		}
	}
}

// custom handles the guide's custom business events: a log record in the transaction's trace.
func (a *assembler) custom(ev *eventcodec.Event, b *outputBatch) {
	var traceID pcommon.TraceID
	var spanID pcommon.SpanID
	dst := b
	if ev.TransactionID != "" {
		traceID = traceIDFor(ev.TransactionID)
		spanID = spanIDFor(spanRoleRoot, ev.TransactionID)
		dst = a.sinkFor(a.open[ev.TransactionID], b)
	}
	a.logEvent(dst, ev, traceID, spanID, func(attrs pcommon.Map) {
		attrs.PutStr("multiagents.event_name", ev.EventName)
	})
}

// afterEnd handles an event for a transaction that has already ended: it is logged and
// counted, and a result whose step already ended counts as a duplicate.
func (a *assembler) afterEnd(ev *eventcodec.Event, b *outputBatch) {
	traceID := traceIDFor(ev.TransactionID)
	spanID := spanIDFor(spanRoleRoot, ev.TransactionID)
	if ev.Kind == eventcodec.KindResult {
		a.workerAnswered(workerOrUnknown(ev.Source)) // late or not, the worker is alive
		if tag, done := a.commands.get(hashKey(spanRoleStep, ev.CommandID)); done {
			a.countDuplicate(tag)
			return
		}
		// No exemplar: the transaction has ended, and its trace was only exported if it was
		// kept then, so a link could lead nowhere.
		a.metrics.workerExecution(workerOrUnknown(ev.Source), ev.Success, 0, false, failureRef{})
		spanID = spanIDFor(spanRoleStep, ev.CommandID)
	}
	a.logEvent(b, ev, traceID, spanID, nil)
}
