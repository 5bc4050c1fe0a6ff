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
func (a *assembler) apply(ev *event, channel string, b *outputBatch) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.metricsChanged = true
	now := a.now()
	a.applyNow = now
	defer func() { a.applyNow = time.Time{} }()
	if ev.timestamp.IsZero() {
		ev.timestamp = now
	}
	// Free text kept past this event (root notes, log attributes) is capped like payloads.
	ev.message = a.renderer.capString(ev.message)
	ev.eventName = a.renderer.capString(ev.eventName)
	if ev.kind == kindCustom {
		a.custom(ev, b)
		return
	}
	a.metrics.event(ev.kind.metricName(), eventSucceeded(ev))

	if _, ended := a.ended.get(hashKey(spanRoleRoot, ev.transactionID)); ended {
		a.afterEnd(ev, b)
		return
	}
	tx := a.transaction(ev.transactionID, ev.timestamp, now, b)
	tx.lastSeen = now
	if ev.timestamp.After(tx.lastEvent) {
		tx.lastEvent = ev.timestamp
	}
	if tx.workflowID == "" && ev.kind != kindResult && ev.source != "" {
		// Orchestrator events carry the workflow id as their source.
		tx.workflowID = ev.source
	}
	switch ev.kind {
	case kindCommand:
		a.command(tx, ev, channel, now, b)
	case kindResult:
		a.result(tx, ev, b)
	case kindError:
		a.errorEvent(tx, ev, b)
	case kindCompensation:
		a.compensation(tx, ev, b)
	case kindStatus:
		a.status(tx, ev, now, b)
	}
}

func eventSucceeded(ev *event) bool {
	switch ev.kind {
	case kindResult:
		return ev.success
	case kindError:
		return false
	case kindStatus:
		return !isFailureStatus(ev.status) && !isCancel(ev)
	}
	return true
}

func isFailureStatus(s string) bool {
	return s == workflowFailed || s == workflowCompensated || s == workflowCancelled || s == "compensating"
}

func isCancel(ev *event) bool {
	return ev.status == workflowCancelled || strings.Contains(strings.ToLower(ev.message), "cancel")
}

func (a *assembler) command(tx *transaction, ev *event, channel string, now time.Time, b *outputBatch) {
	worker := ev.workerType
	if worker == "" {
		if kind, name := channelKind(channel, a.cfg.Redis.ChannelPrefix); kind == "command" {
			worker = name
		}
	}
	if worker == "" {
		worker = "unknown"
	}
	step := stepName(ev.correlationID, tx.id, false)
	if step == "" {
		step = worker
	}
	a.logEvent(a.sinkFor(tx, b), ev, tx.traceID, spanIDFor(spanRoleStep, ev.id), func(attrs pcommon.Map) {
		attrs.PutStr(attrWorkerName, worker)
		attrs.PutStr(attrStep, step)
		attrs.PutStr(attrCommandID, ev.id)
	})
	if a.findStep(tx, ev.id) >= 0 {
		return // the same command published twice: one step
	}
	if _, done := a.commands.get(hashKey(spanRoleStep, ev.id)); done {
		return
	}
	if !a.reserveSpan(tx) {
		return
	}
	timeout := defaultCommandTimeout
	if ev.timeoutSeconds >= 0 {
		timeout = time.Duration(ev.timeoutSeconds * float64(time.Second))
	}
	timeout += a.cfg.Transactions.StepTimeoutGrace
	a.trackWorker(worker)
	tx.steps = append(tx.steps, openStep{
		commandID:  ev.id,
		workerType: worker,
		step:       step,
		start:      ev.timestamp,
		timeout:    timeout,
		deadline:   now.Add(timeout),
	})
}

func (a *assembler) result(tx *transaction, ev *event, b *outputBatch) {
	i := a.findStep(tx, ev.commandID)
	if i < 0 {
		if tag, done := a.commands.get(hashKey(spanRoleStep, ev.commandID)); done {
			a.countDuplicate(tag)
			a.workerAnswered(workerOrUnknown(ev.source)) // late or not, the worker is alive
			return
		}
		// A result whose command was not seen (published during a gap, or a compensation's
		// own result): it still counts as an execution of its worker.
		if !ev.success {
			a.markFailed(tx, b)
		}
		worker := workerOrUnknown(ev.source)
		a.workerAnswered(worker)
		timedOut := reportsTimeout(ev)
		a.metrics.workerExecution(worker, ev.success, 0, false,
			failureRef{traceID: tx.traceID, spanID: spanIDFor(spanRoleStep, ev.commandID), at: ev.timestamp})
		if a.genAI != nil {
			a.genAI.record(nil, a.metrics, worker, a.genAI.usage(ev.payload)) // tokens were spent, span or not
		}
		a.logEvent(a.sinkFor(tx, b), ev, tx.traceID, spanIDFor(spanRoleStep, ev.commandID), func(attrs pcommon.Map) {
			attrs.PutStr(attrWorkerName, worker)
			attrs.PutStr(attrCommandID, ev.commandID)
			if timedOut {
				attrs.PutBool(attrTimedOut, true)
			}
		})
		return
	}
	step := a.removeStep(tx, i)
	a.commands.add(hashKey(spanRoleStep, step.commandID), endedByResult)
	a.workerAnswered(step.workerType)
	if !ev.success {
		a.markFailed(tx, b)
	}
	timedOut := reportsTimeout(ev)
	dst := a.sinkFor(tx, b)
	span := a.stepSpan(dst, tx, step, ev.timestamp)
	if a.genAI != nil {
		a.genAI.record(&span, a.metrics, step.workerType, a.genAI.usage(ev.payload))
	}
	if !ev.success {
		msg := ev.errorMessage
		if msg == "" {
			msg = "step failed"
		}
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage(a.renderer.capString(msg))
		if et := errorType(ev.errorDetails); et != "" {
			span.Attributes().PutStr(attrErrorType, et)
		}
		if timedOut {
			span.Attributes().PutBool(attrTimedOut, true)
		}
	}
	d := ev.timestamp.Sub(step.start)
	a.metrics.workerExecution(step.workerType, ev.success, d, true,
		failureRef{traceID: tx.traceID, spanID: span.SpanID(), at: ev.timestamp})
	a.metrics.eventDurationSeconds(kindCommand.metricName(), d)
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
func reportsTimeout(ev *event) bool {
	return !ev.success && errorType(ev.errorDetails) == frameworkTimeoutErrorType
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

func (a *assembler) errorEvent(tx *transaction, ev *event, b *outputBatch) {
	a.markFailed(tx, b)
	spanID := spanIDFor(spanRoleRoot, tx.id)
	if i := a.findStep(tx, ev.commandID); ev.commandID != "" && i >= 0 {
		step := a.removeStep(tx, i)
		a.commands.add(hashKey(spanRoleStep, step.commandID), endedByResult)
		span := a.stepSpan(b, tx, step, ev.timestamp)
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage(a.renderer.capString(ev.errorMessage))
		spanID = span.SpanID()
		d := ev.timestamp.Sub(step.start)
		a.metrics.workerExecution(step.workerType, false, d, true,
			failureRef{traceID: tx.traceID, spanID: spanID, at: ev.timestamp})
		a.metrics.eventDurationSeconds(kindCommand.metricName(), d)
	} else if len(tx.notes) < maxNotesPerTransaction {
		tx.notes = append(tx.notes, rootNote{name: "error", ts: ev.timestamp, message: a.renderer.capString(ev.errorMessage)})
	}
	a.logEvent(b, ev, tx.traceID, spanID, nil)
}

func (a *assembler) compensation(tx *transaction, ev *event, b *outputBatch) {
	a.markFailed(tx, b)
	spanID := spanIDFor(spanRoleCompensation, ev.id)
	step := stepName(ev.correlationID, tx.id, true)
	if a.reserveSpan(tx) {
		span := b.spans.AppendEmpty()
		span.SetTraceID(tx.traceID)
		span.SetSpanID(spanID)
		span.SetParentSpanID(spanIDFor(spanRoleRoot, tx.id))
		name := ev.compensationType
		if name == "" {
			name = step
		}
		span.SetName("compensation." + workerOrUnknown(name))
		span.SetKind(ptrace.SpanKindInternal)
		// The framework reports no end of a compensation: the span marks the moment it was ordered.
		ts := pcommon.NewTimestampFromTime(ev.timestamp)
		span.SetStartTimestamp(ts)
		span.SetEndTimestamp(ts)
		attrs := span.Attributes()
		attrs.PutStr(attrTransactionID, tx.id)
		attrs.PutStr(attrStep, step)
		// The compensation event's own id is not a command id: multiagents.command_id would
		// make the compensation look like the step itself in a search by command.
		attrs.PutStr(attrEventID, ev.id)
		attrs.PutStr(attrOriginalCommandID, ev.originalCommandID)
		attrs.PutStr(attrCompensationType, ev.compensationType)
		if ev.originalCommandID != "" {
			link := span.Links().AppendEmpty()
			link.SetTraceID(tx.traceID)
			link.SetSpanID(spanIDFor(spanRoleStep, ev.originalCommandID))
			link.Attributes().PutStr("link.type", "compensates")
		}
	}
	a.logEvent(b, ev, tx.traceID, spanID, func(attrs pcommon.Map) {
		attrs.PutStr(attrStep, step)
		attrs.PutStr(attrOriginalCommandID, ev.originalCommandID)
		attrs.PutStr(attrCompensationType, ev.compensationType)
	})
}

func (a *assembler) status(tx *transaction, ev *event, now time.Time, b *outputBatch) {
	if len(tx.notes) < maxNotesPerTransaction {
		tx.notes = append(tx.notes, rootNote{name: "status", ts: ev.timestamp, status: ev.status, message: ev.message})
	}
	if isFailureStatus(ev.status) || isCancel(ev) {
		a.markFailed(tx, b)
	}
	a.logEvent(a.sinkFor(tx, b), ev, tx.traceID, spanIDFor(spanRoleRoot, tx.id), func(attrs pcommon.Map) {
		attrs.PutStr(attrWorkflowStatus, ev.status)
	})
	switch {
	case isCancel(ev):
		a.finalize(tx, workflowCancelled, ev.timestamp, "", b)
	case ev.status == workflowCompleted:
		a.finalize(tx, workflowCompleted, ev.timestamp, "", b)
	case ev.status == workflowFailed:
		a.finalize(tx, workflowFailed, ev.timestamp, "", b)
	case ev.status == workflowCompensated:
		tx.pendingStatus = workflowCompensated
		tx.pendingAt = ev.timestamp
		tx.lingerUntil = now.Add(cancelLinger)
	case ev.status == "running" || ev.status == "pending":
		if !tx.startKnown {
			tx.startKnown = true
			tx.start = ev.timestamp
		}
	}
}

// custom handles the guide's custom business events: a log record in the transaction's trace.
func (a *assembler) custom(ev *event, b *outputBatch) {
	var traceID pcommon.TraceID
	var spanID pcommon.SpanID
	dst := b
	if ev.transactionID != "" {
		traceID = traceIDFor(ev.transactionID)
		spanID = spanIDFor(spanRoleRoot, ev.transactionID)
		dst = a.sinkFor(a.open[ev.transactionID], b)
	}
	a.logEvent(dst, ev, traceID, spanID, func(attrs pcommon.Map) {
		attrs.PutStr("multiagents.event_name", ev.eventName)
	})
}

// afterEnd handles an event for a transaction that has already ended: it is logged and
// counted, and a result whose step already ended counts as a duplicate.
func (a *assembler) afterEnd(ev *event, b *outputBatch) {
	traceID := traceIDFor(ev.transactionID)
	spanID := spanIDFor(spanRoleRoot, ev.transactionID)
	if ev.kind == kindResult {
		a.workerAnswered(workerOrUnknown(ev.source)) // late or not, the worker is alive
		if tag, done := a.commands.get(hashKey(spanRoleStep, ev.commandID)); done {
			a.countDuplicate(tag)
			return
		}
		// No exemplar: the transaction has ended, and its trace was only exported if it was
		// kept then, so a link could lead nowhere.
		a.metrics.workerExecution(workerOrUnknown(ev.source), ev.success, 0, false, failureRef{})
		spanID = spanIDFor(spanRoleStep, ev.commandID)
	}
	a.logEvent(b, ev, traceID, spanID, nil)
}
