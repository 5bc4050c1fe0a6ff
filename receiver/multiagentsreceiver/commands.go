package multiagentsreceiver

import (
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
)

// The command gauges tell a worker with no work (idle) from one that leaves its commands
// unanswered (unresponsive); worker_health reads them.
const (
	metricCommandsPending   = metricnames.WorkerCommandsPending
	metricCommandsOldestAge = metricnames.WorkerCommandsOldestPendingAge
	metricCommandsOverdue   = metricnames.WorkerCommandsOverdue
	commandsPendingUnit     = "{command}"
	commandsOldestAgeUnit   = "s"
	commandsPendingDesc     = "Commands sent to the worker that are still waiting for a result."
	commandsOldestAgeDesc   = "Age of the oldest command sent to the worker since its last result that is still waiting for one (0 when none is)."
	commandsOverdueDesc     = "Commands sent to the worker since its last result that got none within their timeout_seconds, still open or already timed out by the receiver."
)

// workerCommands is what the command gauges need about a worker besides its open steps.
//
// Overdue and oldest age only count commands sent after the worker's last result: a worker
// that answered since is alive, and an older command it never answers was lost (its timeout
// still counts as an error execution), which must not make a live worker look dead.
type workerCommands struct {
	// lastResultAt is when (receiver clock) the worker last answered anything.
	lastResultAt time.Time
	// timedOutSinceResult counts the commands sent after lastResultAt that the receiver ended
	// as timed out. It keeps a dead worker overdue between one timeout and the next command's,
	// so the gauge does not flap while the worker stays silent.
	timedOutSinceResult int64
}

// trackWorker returns the command state of a worker that has been sent a command, creating
// it; past maxSeriesPerMetric workers, new ones share the overflow entry.
func (a *assembler) trackWorker(name string) *workerCommands {
	if w, ok := a.workers[name]; ok {
		return w
	}
	if len(a.workers) >= maxSeriesPerMetric {
		name = overflowKey
		if w, ok := a.workers[name]; ok {
			return w
		}
	}
	w := &workerCommands{}
	a.workers[name] = w
	return w
}

// workerFor is the entry that holds name's commands, or nil when it never had one.
func (a *assembler) workerFor(name string) *workerCommands {
	if w, ok := a.workers[name]; ok {
		return w
	}
	return a.workers[overflowKey]
}

// workerAnswered records that a worker published a result: it is alive, so the commands it
// left unanswered before no longer make it overdue.
func (a *assembler) workerAnswered(name string) {
	if w := a.workerFor(name); w != nil {
		w.timedOutSinceResult = 0
		w.lastResultAt = a.now()
	}
}

// workerTimedOut records that the receiver ended one of the worker's commands, received at
// receivedAt, as timed out.
func (a *assembler) workerTimedOut(name string, receivedAt time.Time) {
	if w := a.trackWorker(name); receivedAt.After(w.lastResultAt) {
		w.timedOutSinceResult++
	}
}

// commandGauge is one worker's command gauges at one moment.
type commandGauge struct {
	pending, overdue int64
	oldestAge        time.Duration
}

// commandGauges computes the gauges of every worker that has had commands from the open
// steps. A step's command was received at deadline - timeout and is overdue from
// deadline - step_timeout_grace (its own timeout_seconds), before the sweep closes it.
func (a *assembler) commandGauges(now time.Time) map[string]commandGauge {
	out := make(map[string]commandGauge, len(a.workers))
	for name, w := range a.workers {
		out[name] = commandGauge{overdue: w.timedOutSinceResult}
	}
	grace := a.cfg.Transactions.StepTimeoutGrace
	for e := a.order.Front(); e != nil; e = e.Next() {
		tx := e.Value.(*transaction)
		for i := range tx.steps {
			s := &tx.steps[i]
			name := s.workerType
			w, ok := a.workers[name]
			if !ok {
				name, w = overflowKey, a.workers[overflowKey]
			}
			g := out[name]
			g.pending++
			if received := s.deadline.Add(-s.timeout); w == nil || received.After(w.lastResultAt) {
				g.oldestAge = max(g.oldestAge, now.Sub(received))
				if overdueAt := s.deadline.Add(-grace); !now.Before(overdueAt) {
					g.overdue++
				} else {
					a.noteGaugeChange(overdueAt)
				}
			}
			out[name] = g
		}
	}
	return out
}

// buildCommandGauges appends the three command gauges, one point per worker, to ms.
func buildCommandGauges(ms pmetric.MetricSlice, gauges map[string]commandGauge, ts pcommon.Timestamp) {
	if len(gauges) == 0 {
		return
	}
	names := make([]string, 0, len(gauges))
	for name := range gauges {
		names = append(names, name)
	}
	sort.Strings(names)
	gauge := func(name, unit, desc string) pmetric.NumberDataPointSlice {
		m := ms.AppendEmpty()
		m.SetName(name)
		m.SetUnit(unit)
		m.SetDescription(desc)
		dps := m.SetEmptyGauge().DataPoints()
		dps.EnsureCapacity(len(names))
		return dps
	}
	pending := gauge(metricCommandsPending, commandsPendingUnit, commandsPendingDesc)
	oldest := gauge(metricCommandsOldestAge, commandsOldestAgeUnit, commandsOldestAgeDesc)
	overdue := gauge(metricCommandsOverdue, commandsPendingUnit, commandsOverdueDesc)
	point := func(dps pmetric.NumberDataPointSlice, worker string) pmetric.NumberDataPoint {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(ts)
		putOverflowOr(dp.Attributes(), attrWorkerName, worker)
		return dp
	}
	for _, name := range names {
		g := gauges[name]
		point(pending, name).SetIntValue(g.pending)
		point(oldest, name).SetDoubleValue(g.oldestAge.Seconds())
		point(overdue, name).SetIntValue(g.overdue)
	}
}
