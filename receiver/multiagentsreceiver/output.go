package multiagentsreceiver

import (
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

// serviceName is the resource's service.name, as in the guide's OpenTelemetry integration.
const serviceName = "multiagents-framework"

// outputBatch collects the spans and log records produced while processing events, so
// that they reach the pipeline in one call per batch rather than one per event.
type outputBatch struct {
	traces  ptrace.Traces
	spans   ptrace.SpanSlice
	logs    plog.Logs
	records plog.LogRecordSlice
	// recordLimit caps the records of a batch that sampling holds for one transaction (0: none).
	recordLimit int
}

func newOutputBatch() *outputBatch {
	b := &outputBatch{traces: ptrace.NewTraces(), logs: plog.NewLogs()}
	rs := b.traces.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", serviceName)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(metadata.ScopeName)
	b.spans = ss.Spans()
	rl := b.logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", serviceName)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	b.records = sl.LogRecords()
	return b
}

func (b *outputBatch) empty() bool {
	return b.spans.Len() == 0 && b.records.Len() == 0
}

// moveTo appends everything held here to dst and leaves this batch empty.
func (b *outputBatch) moveTo(dst *outputBatch) {
	b.spans.MoveAndAppendTo(dst.spans)
	b.records.MoveAndAppendTo(dst.records)
}
