// The transaction store: open transactions and their steps, what sampling holds back, and the
// timers that end them (step timeouts, cancel linger, retention).

package multiagentsreceiver

import (
	"container/list"
	"encoding/binary"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
)

// transaction is the state kept for one open workflow run. It holds no payloads: those
// go straight into log records. See benchmarks/multiagentsreceiver.md for its size.
type transaction struct {
	id         string
	workflowID string
	traceID    pcommon.TraceID

	start      time.Time // event clock: first event, or the "running" status when seen
	startKnown bool      // the start status event was seen (so durations are real)
	lastEvent  time.Time // event clock
	openedAt   time.Time // receiver clock, for retention
	lastSeen   time.Time // receiver clock: the last event received, for stuck detection
	// wasStuck: reported in multiagents.workflow.stuck, whose exemplar names this trace, so
	// sampling keeps it however the run ends.
	wasStuck bool

	steps    []openStep
	notes    []rootNote
	children int // child spans built or reserved, against max_spans_per_transaction

	// failed means the transaction is always kept by sampling: a step failed or timed
	// out, a compensation ran, or the workflow ended in anything but completed.
	failed        bool
	sampled       bool
	reconstructed bool

	// pendingStatus is set when "compensated" arrived; the workflow ends at lingerUntil
	// unless "cancelled" follows first.
	pendingStatus string
	pendingAt     time.Time
	lingerUntil   time.Time

	// held keeps the output of a transaction that sampling would drop if it succeeds.
	held *outputBatch
	elem *list.Element
}

type openStep struct {
	commandID  string
	workerType string
	step       string
	start      time.Time     // event clock
	timeout    time.Duration // timeout_seconds + grace
	deadline   time.Time     // receiver clock
}

// rootNote becomes a span event on the root span.
type rootNote struct {
	name    string
	ts      time.Time
	status  string
	message string
}

// transaction returns the open transaction, creating it (and evicting the oldest past
// max_open) when this is its first event.
func (a *assembler) transaction(id string, ts, now time.Time, b *outputBatch) *transaction {
	if tx, ok := a.open[id]; ok {
		return tx
	}
	for len(a.open) >= a.cfg.Transactions.MaxOpen {
		oldest := a.order.Front().Value.(*transaction)
		a.count(a.telemetry.ReceiverMultiagentsEvictedTransactions, 1, attribute.String("reason", "max_open"))
		a.finalize(oldest, workflowIncomplete, oldest.lastEvent, "max_open", b)
	}
	tx := &transaction{id: id, traceID: traceIDFor(id), start: ts, lastEvent: ts, openedAt: now, lastSeen: now}
	tx.sampled = binary.BigEndian.Uint64(tx.traceID[:8]) < a.sampleBound || a.sampleBound == ^uint64(0)
	tx.elem = a.order.PushBack(tx)
	a.open[id] = tx
	return tx
}

// sinkFor is where a transaction's output goes: straight out, or held until sampling can
// decide, for a transaction that is not sampled and has not failed yet.
func (a *assembler) sinkFor(tx *transaction, b *outputBatch) *outputBatch {
	if tx == nil || tx.sampled || tx.failed {
		return b
	}
	if tx.held == nil {
		tx.held = a.newHeldBatch()
	}
	return tx.held
}

// newHeldBatch is where sampling holds a transaction's output: its spans are capped by
// reserveSpan, its log records here, both at max_spans_per_transaction.
func (a *assembler) newHeldBatch() *outputBatch {
	b := newOutputBatch()
	b.recordLimit = a.cfg.Transactions.MaxSpansPerTransaction
	return b
}

// markFailed makes the transaction always kept and releases what sampling held back.
func (a *assembler) markFailed(tx *transaction, b *outputBatch) {
	tx.failed = true
	if tx.held != nil {
		tx.held.moveTo(b)
		tx.held = nil
	}
}

func (a *assembler) reserveSpan(tx *transaction) bool {
	if tx.children >= a.cfg.Transactions.MaxSpansPerTransaction {
		a.count(a.telemetry.ReceiverMultiagentsDroppedSpans, 1)
		return false
	}
	tx.children++
	return true
}

func (a *assembler) findStep(tx *transaction, commandID string) int {
	for i := range tx.steps {
		if tx.steps[i].commandID == commandID {
			return i
		}
	}
	return -1
}

func (a *assembler) removeStep(tx *transaction, i int) openStep {
	s := tx.steps[i]
	tx.steps = append(tx.steps[:i], tx.steps[i+1:]...)
	if len(tx.steps) == 0 {
		tx.steps = nil // release the backing array of a long-lived transaction
	}
	return s
}

// noteGaugeChange records at, a moment when time alone will change a gauge, if it is the
// earliest so far of this build.
func (a *assembler) noteGaugeChange(at time.Time) {
	if a.nextGaugeChange.IsZero() || at.Before(a.nextGaugeChange) {
		a.nextGaugeChange = at
	}
}

// metricsDue tells whether the metrics hold a change not sent yet at now.
func (a *assembler) metricsDue(now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.metricsChanged || (!a.nextGaugeChange.IsZero() && now.After(a.nextGaugeChange))
}

// sweep runs the receiver's timers: steps past their timeout, compensated workflows past
// the cancel linger, and transactions past retention.
func (a *assembler) sweep(b *outputBatch) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	retention := a.cfg.Transactions.Retention
	holdTimeouts := a.timeoutsHeld != nil && a.timeoutsHeld()
	for e := a.order.Front(); e != nil; {
		tx := e.Value.(*transaction)
		e = e.Next()
		if !tx.openedAt.Add(retention).After(now) {
			a.count(a.telemetry.ReceiverMultiagentsEvictedTransactions, 1, attribute.String("reason", "retention"))
			a.finalize(tx, workflowIncomplete, tx.lastEvent, "retention", b)
			continue
		}
		if tx.pendingStatus != "" && !tx.lingerUntil.After(now) {
			a.finalize(tx, tx.pendingStatus, tx.pendingAt, "", b)
			continue
		}
		for i := 0; i < len(tx.steps) && !holdTimeouts; {
			if tx.steps[i].deadline.After(now) {
				i++
				continue
			}
			a.timeOut(tx, a.removeStep(tx, i), b)
		}
	}
}

func (a *assembler) timeOut(tx *transaction, s openStep, b *outputBatch) {
	a.metricsChanged = true
	a.markFailed(tx, b)
	a.commands.add(hashKey(spanRoleStep, s.commandID), endedByTimeout)
	a.workerTimedOut(s.workerType, s.deadline.Add(-s.timeout))
	a.count(a.telemetry.ReceiverMultiagentsTimedOutSteps, 1)
	end := s.start.Add(s.timeout)
	span := a.stepSpan(b, tx, s, end)
	span.Status().SetCode(ptrace.StatusCodeError)
	span.Status().SetMessage("timed out")
	span.Attributes().PutBool(attrTimedOut, true)
	a.metrics.workerExecution(s.workerType, false, 0, false, failureRef{traceID: tx.traceID, spanID: span.SpanID(), at: end})
	if a.emitLogs {
		lr := b.records.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(end))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(a.now()))
		lr.SetSeverityNumber(severityError)
		lr.SetSeverityText("ERROR")
		lr.SetEventName("multiagents.step.timeout")
		lr.SetTraceID(tx.traceID)
		lr.SetSpanID(span.SpanID())
		lr.Body().SetStr("step " + s.step + " on worker " + s.workerType + " got no result within timeout_seconds plus step_timeout_grace (" + s.timeout.String() + ")")
		attrs := lr.Attributes()
		attrs.PutStr(attrTransactionID, tx.id)
		attrs.PutStr(attrWorkerName, s.workerType)
		attrs.PutStr(attrStep, s.step)
		attrs.PutStr(attrCommandID, s.commandID)
		attrs.PutBool(attrTimedOut, true)
	}
}
