package multiagentsreceiver

import (
	"encoding/json"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

const (
	severityInfo  = plog.SeverityNumberInfo
	severityWarn  = plog.SeverityNumberWarn
	severityError = plog.SeverityNumberError

	attrEventID          = "multiagents.event.id"
	attrLogEventType     = "multiagents.event.type"
	attrCorrelationID    = "multiagents.correlation_id"
	attrSource           = "multiagents.source"
	attrSuccess          = "multiagents.success"
	attrErrorMessage     = "error.message"
	attrErrorDetails     = "multiagents.error_details"
	attrMessage          = "multiagents.message"
	attrPayloadSize      = "multiagents.payload.size"
	attrPayloadTruncated = "multiagents.payload.truncated"
)

// severityOf is ERROR for failures, WARN for compensations, INFO otherwise.
func severityOf(ev *event) (plog.SeverityNumber, string) {
	switch {
	case ev.kind == kindCompensation:
		return severityWarn, "WARN"
	case !eventSucceeded(ev):
		return severityError, "ERROR"
	}
	return severityInfo, "INFO"
}

// logEvent appends the event as a log record in its trace, with its ids and names as
// attributes and its redacted, size-capped payload as body. extra adds the attributes
// only the caller knows (worker, step).
func (a *assembler) logEvent(dst *outputBatch, ev *event, traceID pcommon.TraceID, spanID pcommon.SpanID, extra func(pcommon.Map)) {
	if !a.emitLogs {
		return
	}
	if dst.recordLimit > 0 && dst.records.Len() >= dst.recordLimit {
		a.count(a.telemetry.ReceiverMultiagentsDroppedLogRecords, 1)
		return
	}
	lr := dst.records.AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.timestamp))
	observed := a.applyNow
	if observed.IsZero() {
		observed = a.now()
	}
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	sev, text := severityOf(ev)
	lr.SetSeverityNumber(sev)
	lr.SetSeverityText(text)
	lr.SetEventName(logEventName(ev.kind))
	lr.SetTraceID(traceID)
	lr.SetSpanID(spanID)
	attrs := lr.Attributes()
	attrs.EnsureCapacity(10)
	if ev.id != "" {
		attrs.PutStr(attrEventID, ev.id)
	}
	attrs.PutStr(attrLogEventType, ev.kind.metricName())
	if ev.transactionID != "" {
		attrs.PutStr(attrTransactionID, ev.transactionID)
	}
	if ev.correlationID != "" {
		attrs.PutStr(attrCorrelationID, ev.correlationID)
	}
	if ev.source != "" {
		attrs.PutStr(attrSource, ev.source)
	}
	switch ev.kind {
	case kindResult:
		attrs.PutBool(attrSuccess, ev.success)
	case kindStatus:
		if ev.message != "" {
			attrs.PutStr(attrMessage, ev.message)
		}
	}
	if ev.errorMessage != "" {
		attrs.PutStr(attrErrorMessage, a.renderer.capString(ev.errorMessage))
	}
	if len(ev.errorDetails) > 0 {
		attrs.PutStr(attrErrorDetails, a.renderer.render(ev.errorDetails).body)
	}
	if extra != nil {
		extra(attrs)
	}
	p := a.renderer.render(ev.payload)
	if len(ev.payload) > 0 {
		lr.Body().SetStr(p.body)
		if a.cfg.Payload.TrackPayloadSize {
			attrs.PutInt(attrPayloadSize, int64(p.size))
		}
		if p.truncated {
			attrs.PutBool(attrPayloadTruncated, true)
		}
	}
}

// logEventName is the log record's event name, "multiagents.<type>", as constants: no
// concatenation per event.
func logEventName(k eventKind) string {
	switch k {
	case kindCommand:
		return "multiagents.command"
	case kindResult:
		return "multiagents.result"
	case kindError:
		return "multiagents.error"
	case kindCompensation:
		return "multiagents.compensation"
	case kindStatus:
		return "multiagents.status"
	case kindCustom:
		return "multiagents.custom"
	}
	return "multiagents.unknown"
}

// errorType reads error_details.error_type ("timeout", "WorkerException").
func errorType(details json.RawMessage) string {
	if len(details) == 0 {
		return ""
	}
	var d struct {
		ErrorType string `json:"error_type"`
	}
	if json.Unmarshal(details, &d) != nil {
		return ""
	}
	return d.ErrorType
}
