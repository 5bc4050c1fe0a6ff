package alertprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// traceRef is an exemplar of an input point: a failing transaction behind it (its trace, the
// failed step's span, when it happened). The alert processor keeps the newest few per series
// and per alert instance so notifications can link to the evidence.
type traceRef struct {
	traceID pcommon.TraceID
	spanID  pcommon.SpanID
	at      pcommon.Timestamp
	value   float64
}

// addNewest inserts e into refs, which is ordered newest first and holds each trace once,
// keeping at most limit entries. It returns the updated slice.
func addNewest(refs []traceRef, e traceRef, limit int) []traceRef {
	if limit <= 0 || e.traceID.IsEmpty() {
		return refs
	}
	for i := range refs {
		if refs[i].traceID == e.traceID {
			if refs[i].at >= e.at {
				return refs // the same transaction, already known at least as recently
			}
			refs = append(refs[:i], refs[i+1:]...)
			break
		}
	}
	pos := len(refs)
	for i := range refs {
		if e.at > refs[i].at {
			pos = i
			break
		}
	}
	if pos >= limit {
		return refs
	}
	if len(refs) < limit {
		refs = append(refs, traceRef{})
	}
	copy(refs[pos+1:], refs[pos:len(refs)-1])
	refs[pos] = e
	return refs
}

// keepExemplars adds a point's exemplars that name a trace to the series' newest ones.
func keepExemplars(refs []traceRef, exemplars pmetric.ExemplarSlice, limit int) []traceRef {
	for i := 0; i < exemplars.Len(); i++ {
		ex := exemplars.At(i)
		var v float64
		switch ex.ValueType() {
		case pmetric.ExemplarValueTypeDouble:
			v = ex.DoubleValue()
		case pmetric.ExemplarValueTypeInt:
			v = float64(ex.IntValue())
		}
		refs = addNewest(refs, traceRef{traceID: ex.TraceID(), spanID: ex.SpanID(), at: ex.Timestamp(), value: v}, limit)
	}
	return refs
}

// writeExemplars puts refs (newest first) on an alert's data point.
func writeExemplars(dst pmetric.ExemplarSlice, refs []traceRef) {
	if len(refs) == 0 {
		return
	}
	dst.EnsureCapacity(len(refs))
	for _, r := range refs {
		ex := dst.AppendEmpty()
		ex.SetTraceID(r.traceID)
		ex.SetSpanID(r.spanID)
		ex.SetTimestamp(r.at)
		ex.SetDoubleValue(r.value)
	}
}
