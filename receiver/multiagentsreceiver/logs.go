package multiagentsreceiver

import (
	"encoding/json"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
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
func severityOf(ev *eventcodec.Event) (plog.SeverityNumber, string) {
	switch {
	case ev.Kind == eventcodec.KindCompensation:
		return severityWarn, "WARN"
	case !eventSucceeded(ev):
		return severityError, "ERROR"
	}
	return severityInfo, "INFO"
}

// logEvent appends the event as a log record in its trace, with its ids and names as
// attributes and its redacted, size-capped payload as body. extra adds the attributes
// only the caller knows (worker, step).
func (a *assembler) logEvent(dst *outputBatch, ev *eventcodec.Event, traceID pcommon.TraceID, spanID pcommon.SpanID, extra func(pcommon.Map)) {
	if !a.emitLogs {
		return
	}
	if dst.recordLimit > 0 && dst.records.Len() >= dst.recordLimit {
		a.count(a.telemetry.ReceiverMultiagentsDroppedLogRecords, 1)
		return
	}
	lr := dst.records.AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.Timestamp))
	observed := a.applyNow
	if observed.IsZero() {
		observed = a.now()
	}
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	sev, text := severityOf(ev)
	lr.SetSeverityNumber(sev)
	lr.SetSeverityText(text)
	lr.SetEventName(logEventName(ev.Kind))
	lr.SetTraceID(traceID)
	lr.SetSpanID(spanID)
	attrs := lr.Attributes()
	attrs.EnsureCapacity(10)
	if ev.ID != "" {
		attrs.PutStr(attrEventID, ev.ID)
	}
	attrs.PutStr(attrLogEventType, ev.Kind.MetricName())
	if ev.TransactionID != "" {
		attrs.PutStr(attrTransactionID, ev.TransactionID)
	}
	if ev.CorrelationID != "" {
		attrs.PutStr(attrCorrelationID, ev.CorrelationID)
	}
	if ev.Source != "" {
		attrs.PutStr(attrSource, ev.Source)
	}
	switch ev.Kind {
	case eventcodec.KindResult:
		attrs.PutBool(attrSuccess, ev.Success)
	case eventcodec.KindStatus:
		if ev.Message != "" {
			attrs.PutStr(attrMessage, ev.Message)
		}
	}
	if ev.ErrorMessage != "" {
		attrs.PutStr(attrErrorMessage, a.renderer.capString(ev.ErrorMessage))
	}
	if len(ev.ErrorDetails) > 0 {
		attrs.PutStr(attrErrorDetails, a.renderer.render(ev.ErrorDetails).body)
	}
	if extra != nil {
		extra(attrs)
	}
	p := a.renderer.render(ev.Payload)
	if len(ev.Payload) > 0 {
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
func logEventName(k eventcodec.Kind) string {
	switch k {
	case eventcodec.KindCommand:
		return "multiagents.command"
	case eventcodec.KindResult:
		return "multiagents.result"
	case eventcodec.KindError:
		return "multiagents.error"
	case eventcodec.KindCompensation:
		return "multiagents.compensation"
	case eventcodec.KindStatus:
		return "multiagents.status"
	case eventcodec.KindCustom:
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
