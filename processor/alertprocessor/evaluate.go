package alertprocessor

import (
	"math"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/histquantile"
)

// groupAcc gathers one group's series during an evaluation.
type groupAcc struct {
	seq    uint64
	key    string
	labels []string

	// Per-series values combined by the rule's aggregate.
	n             int
	sum, min, max float64
	// perLogical sums counter values per logical series (the same series from several
	// instances) before they reach the aggregate; kept across evaluations to reuse the map.
	perLogical map[uint64]float64

	// Histogram series of the group, merged (like Prometheus's sum by (le)) before avg or
	// quantile is taken: the average and percentiles of all the group's observations.
	histSeries int
	histCount  float64
	histSum    float64
	bounds     []float64
	buckets    []float64

	// Function ratio: the increases within the window of the numerator's series and of all
	// the group's series, and the group's running total (any rise is a new observation).
	ratioSeries int
	ratioNum    float64
	ratioDen    float64
	ratioTotal  float64
	ratioMemory ratioMemory // kept across evaluations

	// traces are the newest exemplars of the group's series, newest first.
	traces []traceRef
}

// ratioMemory is what a ratio group remembers from its previous evaluation, so that its
// window ages evenly: without a new observation the ratio can only fall (see ratioResult).
type ratioMemory struct {
	have     bool    // the previous evaluation had a value
	value    float64 // that value
	denTotal float64 // the group's running denominator total then
}

func (g *groupAcc) add(v float64) {
	if math.IsNaN(v) {
		return
	}
	if g.n == 0 || v < g.min {
		g.min = v
	}
	if g.n == 0 || v > g.max {
		g.max = v
	}
	g.sum += v
	g.n++
}

// addCounter adds a counter series' value (its increase, rate or last value) to the group:
// straight to the aggregate under `sum`, which gives the same result, else first summed with
// the same series from the other instances, so that `max` of the increases across workers
// sees each worker's whole increase, not one replica's share.
func (g *groupAcc) addCounter(logicalKey uint64, v float64, aggregate string) {
	if aggregate == aggSum {
		g.add(v)
		return
	}
	if g.perLogical == nil {
		g.perLogical = map[uint64]float64{}
	}
	g.perLogical[logicalKey] += v
}

// flushCounters hands the per-logical-series sums to the aggregate.
func (g *groupAcc) flushCounters() {
	for _, v := range g.perLogical {
		g.add(v)
	}
	clear(g.perLogical)
}

// beginEvaluation clears the rule's per-evaluation scratch.
func (r *compiledRule) beginEvaluation() {
	r.evalSeq++
	r.activeSeries = 0
	clear(r.touched)
	r.touched = r.touched[:0]
}

// dropUntouchedGroups forgets the groups no live series belongs to any more.
func (r *compiledRule) dropUntouchedGroups() {
	if len(r.groups) == len(r.touched) {
		return
	}
	for key, g := range r.groups {
		if g.seq != r.evalSeq {
			delete(r.groups, key)
		}
	}
}

// touch readies the group of a membership for this evaluation.
func (r *compiledRule) touch(m *membership) *groupAcc {
	g := m.group
	if g.seq != r.evalSeq {
		buckets, traces := g.buckets[:0], g.traces[:0]
		perLogical := g.perLogical
		clear(perLogical)
		*g = groupAcc{seq: r.evalSeq, key: m.groupKey, labels: m.labels, buckets: buckets, ratioMemory: g.ratioMemory, traces: traces, perLogical: perLogical}
		r.touched = append(r.touched, g)
	}
	return g
}

// accumulate adds one selected series to its group. It returns a non-empty reason when the
// rule's function cannot be computed on this series (reported once per rule and reason).
func (r *compiledRule) accumulate(s *series, m *membership, now time.Time) string {
	if r.absent {
		if s.activeWithin(now, r.cfg.Window) {
			r.activeSeries++
		}
		return ""
	}
	// Touched first, so that a group with a live series is never dropped from r.groups.
	g := r.touch(m)
	for _, t := range s.traces {
		g.traces = addNewest(g.traces, t, r.maxTraceIDs)
	}
	if err := checkFunctionFits(r.function, s.kind); err != nil {
		return err.Error()
	}
	var base *totals
	if r.function != fnValue {
		base = s.totalsAt(now.Add(-r.cfg.Window))
	}
	switch r.function {
	case fnValue:
		switch {
		case s.kind == typeCounter:
			g.addCounter(s.logicalKey, s.lastValue, r.aggregate)
		case s.gaugeFresh(now, r.evaluationInterval):
			g.add(s.lastValue)
		}
	case fnRate, fnIncrease:
		inc := s.cur.sum - base.sum
		if s.kind == typeHistogram {
			inc = s.cur.count - base.count
		}
		inc = math.Max(inc, 0)
		if r.function == fnRate {
			inc /= r.cfg.Window.Seconds()
		}
		g.addCounter(s.logicalKey, inc, r.aggregate)
	case fnRatio:
		inc := math.Max(s.cur.sum-base.sum, 0)
		g.ratioSeries++
		g.ratioDen += inc
		if m.numerator {
			g.ratioNum += inc
		}
		g.ratioTotal += s.cur.sum
	case fnAvg:
		dCount, dSum := s.cur.count-base.count, s.cur.sum-base.sum
		if s.kind == typeHistogram {
			g.histSeries++
			g.histCount += dCount
			g.histSum += dSum
		} else if dCount > 0 {
			g.add(dSum / dCount)
		} else if s.gaugeFresh(now, r.evaluationInterval) {
			g.add(s.lastValue) // no point within the window: the series' value has not moved
		}
	case fnQuantile:
		if len(base.buckets) != len(s.cur.buckets) {
			return "" // the bounds changed within the window: the series restarted, wait
		}
		if g.histSeries == 0 {
			g.bounds = s.bounds
			g.buckets = append(g.buckets[:0], make([]float64, len(s.cur.buckets))...)
		} else if !sameBounds(g.bounds, s.bounds) {
			return "series in one group have different histogram bucket bounds; only the first bounds seen are used"
		}
		g.histSeries++
		for i := range s.cur.buckets {
			d := math.Max(s.cur.buckets[i]-base.buckets[i], 0)
			g.buckets[i] += d
			g.histCount += d
		}
	}
	return ""
}

// result is the group's value, or false when no selected series gave one this evaluation.
func (r *compiledRule) result(g *groupAcc) (float64, bool) {
	if r.function == fnRatio {
		return r.ratioResult(g)
	}
	g.flushCounters()
	if g.histSeries > 0 {
		var v float64
		ok := false
		switch r.function {
		case fnAvg:
			v, ok = g.histSum/g.histCount, g.histCount > 0
		case fnQuantile:
			v, ok = histquantile.Quantile(r.cfg.Quantile, g.bounds, g.buckets)
		}
		switch {
		case !ok:
		case r.aggregate == aggCount:
			g.n += g.histSeries // count counts the series, not the merged histogram
		default:
			g.add(v)
		}
	}
	if g.n == 0 {
		return 0, false
	}
	switch r.aggregate {
	case aggAvg:
		return g.sum / float64(g.n), true
	case aggMin:
		return g.min, true
	case aggSum:
		return g.sum, true
	case aggCount:
		return float64(g.n), true
	default:
		return g.max, true
	}
}

// ratioResult is the numerator's share of the group's increases within the window, once the
// denominator's increase reaches min_samples (below it: no value, so no verdict on too little
// evidence). Windows age evenly: in an evaluation without a new observation (the group's
// running denominator total did not rise) the ratio is at most the previous one, so it
// cannot rise only because older successes left the window before newer failures did. A new
// observation makes it the plain window ratio again.
func (r *compiledRule) ratioResult(g *groupAcc) (float64, bool) {
	mem := &g.ratioMemory
	observed := g.ratioTotal > mem.denTotal
	mem.denTotal = g.ratioTotal // also after an eviction lowered it, so the next rise counts
	if g.ratioSeries == 0 || g.ratioDen <= 0 || g.ratioDen < r.minSamples {
		mem.have = false
		return 0, false
	}
	v := g.ratioNum / g.ratioDen
	if mem.have && !observed {
		v = math.Min(v, mem.value)
	}
	mem.have, mem.value = true, v
	return v, true
}
