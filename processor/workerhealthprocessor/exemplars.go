package workerhealthprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// maxFailureExemplars bounds the failing-transaction exemplars kept per worker: the alert
// processor shows three by default, and every health point carries them.
const maxFailureExemplars = 3

// failureExemplar is one failing execution of a worker, as its input error point's exemplar
// gave it: the transaction's trace, the failed step's span, when.
type failureExemplar struct {
	traceID pcommon.TraceID
	spanID  pcommon.SpanID
	at      pcommon.Timestamp
}

// noteFailures keeps the exemplars of an error point among the worker's newest, one per trace
// (a cumulative point repeats the ones it carried before).
func (w *worker) noteFailures(exemplars pmetric.ExemplarSlice) {
	for i := range exemplars.Len() {
		ex := exemplars.At(i)
		if ex.TraceID().IsEmpty() {
			continue
		}
		w.addFailure(failureExemplar{traceID: ex.TraceID(), spanID: ex.SpanID(), at: ex.Timestamp()})
	}
}

func (w *worker) addFailure(f failureExemplar) {
	for i := range w.failures {
		if w.failures[i].traceID == f.traceID {
			if w.failures[i].at >= f.at {
				return
			}
			w.failures = append(w.failures[:i], w.failures[i+1:]...)
			break
		}
	}
	pos := len(w.failures)
	for i := range w.failures {
		if f.at > w.failures[i].at {
			pos = i
			break
		}
	}
	if pos >= maxFailureExemplars {
		return
	}
	if len(w.failures) < maxFailureExemplars {
		w.failures = append(w.failures, failureExemplar{})
	}
	copy(w.failures[pos+1:], w.failures[pos:len(w.failures)-1])
	w.failures[pos] = f
}

// putFailures writes the worker's failing exemplars on a point, newest first.
func putFailures(dst pmetric.ExemplarSlice, failures []failureExemplar) {
	for _, f := range failures {
		ex := dst.AppendEmpty()
		ex.SetTraceID(f.traceID)
		ex.SetSpanID(f.spanID)
		ex.SetTimestamp(f.at)
		ex.SetIntValue(1)
	}
}
