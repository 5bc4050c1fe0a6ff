// Span building: a step's span, and the root span and workflow count when a transaction ends.

package multiagentsreceiver

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
)

// stepSpan builds the span of one step, ended at end.
func (a *assembler) stepSpan(dst *outputBatch, tx *transaction, s openStep, end time.Time) ptrace.Span {
	span := dst.spans.AppendEmpty()
	span.SetTraceID(tx.traceID)
	span.SetSpanID(spanIDFor(spanRoleStep, s.commandID))
	span.SetParentSpanID(spanIDFor(spanRoleRoot, tx.id))
	span.SetName("worker." + s.workerType)
	span.SetKind(ptrace.SpanKindInternal)
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
	if end.Before(s.start) {
		end = s.start // publisher clocks differ; never a negative span
	}
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
	attrs := span.Attributes()
	attrs.EnsureCapacity(5) // the four below and one more, sized once instead of grown
	attrs.PutStr(attrWorkerName, s.workerType)
	attrs.PutStr(attrTransactionID, tx.id)
	attrs.PutStr(attrStep, s.step)
	attrs.PutStr(attrCommandID, s.commandID)
	if tx.reconstructed {
		attrs.PutBool(attrReconstructed, true)
	}
	if a.genAI != nil {
		a.genAI.decorateStep(span, s.workerType, tx.id)
	}
	return span
}

// finalize ends the transaction: open steps are closed, the root span is built, workflow
// metrics are counted, and sampling decides whether the held output goes out.
// evictedBy is "" for a normal end, or the reason the receiver flushed it early.
func (a *assembler) finalize(tx *transaction, status string, end time.Time, evictedBy string, b *outputBatch) {
	a.metricsChanged = true
	if end.Before(tx.start) {
		end = tx.start
	}
	keep := tx.sampled || tx.failed || tx.wasStuck || status != workflowCompleted
	dst := b
	if !keep {
		if tx.held == nil {
			tx.held = a.newHeldBatch()
		}
		dst = tx.held // built, then dropped with it
	}
	for _, s := range tx.steps {
		span := a.stepSpan(dst, tx, s, end)
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage("workflow ended before the step's result (" + status + ")")
		a.commands.add(hashKey(spanRoleStep, s.commandID), endedByResult)
	}
	tx.steps = nil

	wf := workerOrUnknown(tx.workflowID)
	root := dst.spans.AppendEmpty()
	root.SetTraceID(tx.traceID)
	root.SetSpanID(spanIDFor(spanRoleRoot, tx.id))
	root.SetName("workflow." + wf)
	root.SetKind(ptrace.SpanKindInternal)
	root.SetStartTimestamp(pcommon.NewTimestampFromTime(tx.start))
	root.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
	attrs := root.Attributes()
	attrs.EnsureCapacity(6)
	attrs.PutStr(attrWorkflowID, wf)
	attrs.PutStr(attrTransactionID, tx.id)
	attrs.PutStr(attrWorkflowStatus, status)
	if tx.reconstructed {
		attrs.PutBool(attrReconstructed, true)
	}
	if status == workflowIncomplete {
		attrs.PutBool(attrIncomplete, true)
		if evictedBy != "" {
			attrs.PutStr(attrEvicted, evictedBy)
		}
	}
	if status != workflowCompleted {
		root.Status().SetCode(ptrace.StatusCodeError)
		root.Status().SetMessage(workflowStatusMessage(status))
	}
	if a.genAI != nil {
		a.genAI.decorateWorkflow(root, wf, tx.id)
	}
	for _, n := range tx.notes {
		se := root.Events().AppendEmpty()
		se.SetName(n.name)
		se.SetTimestamp(pcommon.NewTimestampFromTime(n.ts))
		if n.status != "" {
			se.Attributes().PutStr(attrWorkflowStatus, n.status)
		}
		if n.message != "" {
			se.Attributes().PutStr("message", n.message)
		}
	}

	d := end.Sub(tx.start)
	// Every unsuccessful transaction is kept (above), so its trace is exported: link to it.
	a.metrics.workflowEnded(wf, status, d, tx.startKnown, failureRef{traceID: tx.traceID, spanID: root.SpanID(), at: end})
	if tx.startKnown {
		a.metrics.eventDurationSeconds(eventcodec.KindStatus.MetricName(), d)
		if status == workflowCompleted && a.runs.completed(wf, d) {
			a.count(a.telemetry.ReceiverMultiagentsUntrackedWorkflowRuns, 1)
		}
	}
	if keep && tx.held != nil {
		tx.held.moveTo(b)
	}
	tx.held = nil
	a.order.Remove(tx.elem)
	delete(a.open, tx.id)
	if a.ended.add(hashKey(spanRoleRoot, tx.id), 1) {
		// The oldest remembered end is forgotten: a late event or a restart's reconciliation
		// can no longer tell that transaction was exported.
		a.count(a.telemetry.ReceiverMultiagentsForgottenTransactions, 1)
	}
}

// workflowStatusMessage is "workflow <status>", the root span's status message, as constants
// for the receiver's own statuses (every evicted transaction has one).
func workflowStatusMessage(status string) string {
	switch status {
	case workflowIncomplete:
		return "workflow incomplete"
	case workflowFailed:
		return "workflow failed"
	case workflowCompensated:
		return "workflow compensated"
	case workflowCancelled:
		return "workflow cancelled"
	}
	return "workflow " + status
}
