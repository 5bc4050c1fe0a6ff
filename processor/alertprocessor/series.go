package alertprocessor

import (
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/sourceinterval"
	"hash/maphash"
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/cumulative"
)

// totals are a series' running totals since the processor first saw it, made monotonic
// across counter resets: for a monotonic sum, sum is the accumulated increase; for a gauge,
// sum and count add up every value received (so avg over a window is Δsum/Δcount); for a
// histogram they are its accumulated observation sum, count and bucket counts.
type totals struct {
	sum     float64
	count   float64
	buckets []float64
}

func (t *totals) copyFrom(o *totals) {
	t.sum, t.count = o.sum, o.count
	t.buckets = append(t.buckets[:0], o.buckets...)
}

// series is one input time series (metric name + resource and point attributes) and what the
// rules need of it.
type series struct {
	kind metricType
	// logicalKey identifies the series without the attributes that tell its reporting
	// instance apart (instanceAttributes): the series of one counter counted by several
	// tier-1 replicas share it and are summed before a rule's aggregate.
	logicalKey uint64
	lastSeen   time.Time // receive time of the last point
	// interval is the time between the series' points (ns; 0 = unknown yet; see
	// sourceinterval.Next), so a gauge whose source stopped (a killed replica) stops counting soon
	// after its next points were due, long before stale_after removes it.
	interval    int64
	lastChanged time.Time // last point that changed the totals (any point, for gauges)
	lastValue   float64   // the last point's value (gauges and sums)

	cur   totals
	snaps snapshotRing

	// The last cumulative point, to turn cumulative points into increments (counters and
	// histograms), and the bucket bounds of a histogram series.
	rawCounter   cumulative.Counter
	rawHistogram cumulative.Histogram
	bounds       []float64

	members []membership

	// traces are the newest exemplars of the series' points (at most max_trace_ids).
	traces []traceRef
}

// membership ties a series to a rule that selects it and to its group in that rule.
type membership struct {
	rule     *compiledRule
	groupKey string
	labels   []string // group label values, in the rule's group_by order
	group    *groupAcc
	// numerator says that the series is selected by the rule's ratio_match.
	numerator bool
}

func newSeries(kind metricType, now time.Time) *series {
	// lastChanged stays zero until a point adds something: first sight of a cumulative
	// counter is not activity.
	return &series{kind: kind, lastSeen: now}
}

// startSnapshots records the zero totals as of just before the first point, so that a
// window reaching back before the series existed counts everything the series added.
func (s *series) startSnapshots(now time.Time) {
	s.snaps.clear()
	first := s.snaps.push()
	first.at = now.UnixNano() - 1
	first.sum, first.count = 0, 0
	first.buckets = append(first.buckets[:0], make([]float64, len(s.cur.buckets))...)
}

// gaugeStaleIntervals is how many of its own intervals a gauge series may stay silent and still
// count in `value` and `avg`.
const gaugeStaleIntervals = 3

// observeGauge applies a gauge point (or a non-monotonic sum's).
func (s *series) observeGauge(now time.Time, v float64) {
	if s.cur.count > 0 {
		s.interval = sourceinterval.Next(s.interval, int64(now.Sub(s.lastSeen)))
	}
	s.lastValue = v
	s.cur.sum += v
	s.cur.count++
	s.lastSeen, s.lastChanged = now, now
}

// observeCounter applies a monotonic sum point. countFirst says whether the first point of a
// cumulative series counts as an increase (the counter started while we were watching).
func (s *series) observeCounter(now time.Time, v float64, isCumulative bool, start, ts pcommon.Timestamp, countFirst bool) {
	s.lastValue = v
	s.lastSeen = now
	inc := v
	if isCumulative {
		inc, _ = s.rawCounter.Increase(start, ts, v, countFirst)
	}
	if inc != 0 {
		s.cur.sum += inc
		s.lastChanged = now
	}
}

// observeHistogram applies a histogram point; a change of bucket bounds restarts the series.
// The caller has checked that the point has len(bounds)+1 bucket counts, and gives inc, as
// many scratch counts.
func (s *series) observeHistogram(now time.Time, dp pmetric.HistogramDataPoint, isCumulative, countFirst bool, inc []uint64) {
	s.lastSeen = now
	counts := dp.BucketCounts()
	if s.cur.buckets == nil || !boundsEqual(s.bounds, dp.ExplicitBounds()) {
		s.bounds = append(s.bounds[:0], dp.ExplicitBounds().AsRaw()...)
		s.cur = totals{buckets: make([]float64, counts.Len())}
		// The totals cannot be compared across layouts: the series starts over, its next
		// point a first one (countFirst decides whether it counts).
		s.rawHistogram = cumulative.Histogram{}
		s.startSnapshots(now)
	}
	var count uint64
	var sum float64
	if isCumulative {
		var outcome cumulative.Outcome
		count, sum, outcome = s.rawHistogram.Increase(dp, countFirst, inc)
		if outcome == cumulative.Baseline || outcome == cumulative.Stale {
			return
		}
	} else {
		count, sum = dp.Count(), dp.Sum()
		for i, n := range counts.All() {
			inc[i] = n
		}
	}
	s.cur.count += float64(count)
	s.cur.sum += sum
	for i, n := range inc {
		s.cur.buckets[i] += float64(n)
	}
	if count > 0 {
		s.lastChanged = now
	}
}

// boundsEqual compares a series' bounds with a point's.
func boundsEqual(a []float64, b pcommon.Float64Slice) bool {
	if len(a) != b.Len() {
		return false
	}
	for i, v := range b.All() {
		if a[i] != v {
			return false
		}
	}
	return true
}

func sameBounds(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// record snapshots the totals after a point. A snapshot closer than spacing to the one
// before the last replaces the last, so snapshots stay about window/snapshotsPerWindow apart
// while the latest one is always exact. Snapshots no window needs any more (all but the
// latest one at or before now-window) are dropped.
func (s *series) record(now time.Time, window time.Duration) {
	if window <= 0 {
		return
	}
	ns := now.UnixNano()
	cutoff := ns - int64(window)
	drop := 0
	for drop+1 < s.snaps.len() && s.snaps.at(drop+1).at <= cutoff {
		drop++
	}
	if drop > 0 {
		s.snaps.dropOldest(drop)
	}
	n := s.snaps.len()
	var slot *snapshot
	if n >= 2 && ns-s.snaps.at(n-2).at < int64(window/snapshotsPerWindow) {
		slot = s.snaps.at(n - 1)
	} else {
		slot = s.snaps.push()
	}
	slot.at = ns
	slot.copyFrom(&s.cur)
}

// totalsAt returns the totals as they were at time t (to within the snapshot spacing).
func (s *series) totalsAt(t time.Time) *totals {
	if !s.lastSeen.After(t) || s.snaps.len() == 0 {
		return &s.cur
	}
	i := s.snaps.search(t.UnixNano())
	if i == 0 {
		return &s.snaps.at(0).totals // the series started after t
	}
	return &s.snaps.at(i - 1).totals
}

// gaugeFreshFloor is the least time a gauge series counts after its last point, whatever its
// interval looks like. Sources that send on change as well as on a timer (worker_health: on
// every change and every health_check_interval, 30 s shipped; the receiver: within max_delay of
// a change and every metrics.interval) can show a gap of a second between two points and then
// none until their timer: an interval learnt from that short gap would drop a live gauge between
// two timer points and resolve its alert falsely, and evaluation on arrival would notice at once.
const gaugeFreshFloor = time.Minute

// gaugeFresh says whether a gauge series still counts at now: seen within gaugeStaleIntervals of
// its interval, and never less than minFresh (the evaluation interval: a source refreshed
// between two evaluations must not drop out) or gaugeFreshFloor. Other kinds are always fresh:
// their increases stay true after their source stops.
func (s *series) gaugeFresh(now time.Time, minFresh time.Duration) bool {
	if s.kind != typeGauge || s.interval == 0 {
		return true
	}
	return now.Sub(s.lastSeen) <= max(time.Duration(gaugeStaleIntervals*s.interval), minFresh, gaugeFreshFloor)
}

// activeWithin says whether the series showed activity in the last window: a point for a
// gauge, an increase for a sum or histogram (a cumulative series re-sent unchanged is quiet).
func (s *series) activeWithin(now time.Time, window time.Duration) bool {
	return now.Sub(s.lastChanged) < window
}

// instanceAttributes are the resource attributes that tell apart the instances reporting the
// same series: the tier-1 replicas of the multiagents receiver, each counting its own share of
// the transactions. Counter series differing only by them are one logical series.
var instanceAttributes = map[string]bool{
	"service.instance.id":         true,
	"multiagents.partition.index": true,
	"multiagents.partition.count": true,
}

// logicalSeriesKey identifies a series by its point and resource attributes, leaving out the
// instanceAttributes.
func logicalSeriesKey(seed maphash.Seed, attrs, resource pcommon.Map) uint64 {
	return seriesHash(seed, attrs) + mix64(seriesHashExcept(seed, resource, instanceAttributes)^0x5bd1e995)
}

// seriesHash identifies a series by its attributes, independently of their order.
func seriesHash(seed maphash.Seed, attrs pcommon.Map) uint64 {
	return seriesHashExcept(seed, attrs, nil)
}

// seriesHashExcept is seriesHash without the attributes named in skip.
func seriesHashExcept(seed maphash.Seed, attrs pcommon.Map, skip map[string]bool) uint64 {
	var total uint64
	for k, v := range attrs.All() {
		if skip[k] {
			continue
		}
		h := maphash.String(seed, k)
		var hv uint64
		switch v.Type() {
		case pcommon.ValueTypeStr:
			hv = maphash.String(seed, v.Str())
		case pcommon.ValueTypeInt:
			hv = mix64(uint64(v.Int()) ^ 0x1)
		case pcommon.ValueTypeDouble:
			hv = mix64(math.Float64bits(v.Double()) ^ 0x2)
		case pcommon.ValueTypeBool:
			if v.Bool() {
				hv = 0x3
			} else {
				hv = 0x4
			}
		default:
			hv = maphash.String(seed, v.AsString())
		}
		total += mix64(h*31 ^ hv)
	}
	return total
}

// mix64 is the splitmix64 finalizer: it spreads bits so that sums of pair hashes stay unique.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
