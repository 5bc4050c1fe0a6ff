package workerhealthprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/fifoset"
)

// tombstones remembers the input series of forgotten workers, so that when such a series shows
// up again its cumulative value (already counted once) is taken as a baseline, not as new
// executions. It holds a bounded number of keys; when the oldest has to go, its eviction time
// becomes a watermark: any series first seen afterwards that started before it is treated as
// a baseline too, which is safe at the cost of one interval of counts.
type tombstones struct {
	forgottenAt *fifoset.Set[pcommon.Timestamp]
	watermark   pcommon.Timestamp
}

func newTombstones(capacity int) *tombstones {
	return &tombstones{forgottenAt: fifoset.New[pcommon.Timestamp](capacity)}
}

// add remembers key as forgotten at now.
func (t *tombstones) add(key uint64, now pcommon.Timestamp) {
	if _, at, evicted := t.forgottenAt.Add(key, now); evicted {
		t.watermark = max(t.watermark, at)
	}
}

// take reports whether key belonged to a forgotten worker, and forgets the tombstone.
func (t *tombstones) take(key uint64) bool {
	return t.forgottenAt.Delete(key)
}
