package workerhealthprocessor

import "time"

// healthState is a worker's state in the guide's vocabulary.
type healthState uint8

const (
	stateHealthy healthState = iota
	stateDegraded
	stateFailed
)

var stateNames = [...]string{stateHealthy: "healthy", stateDegraded: "degraded", stateFailed: "failed"}

func (s healthState) String() string { return stateNames[s] }

// issue is one reason a worker is not healthy; each is its own series.
type issue uint8

const (
	issueHighErrorRate issue = iota
	issueSlowExecution
	issueUnresponsive
	issueCount
)

var issueNames = [issueCount]string{issueHighErrorRate: "high_error_rate", issueSlowExecution: "slow_execution", issueUnresponsive: "unresponsive"}

// issues is the set of issues holding for a worker.
type issues [issueCount]bool

// thresholds are the classification settings taken from Config.
type thresholds struct {
	errorRate         float64
	failedRate        float64
	recoveryRate      float64
	slowExecution     float64 // seconds
	unresponsiveAfter time.Duration
	minExecutions     float64
}

func thresholdsOf(cfg *Config) thresholds {
	return thresholds{
		errorRate:         cfg.ErrorRateThreshold,
		failedRate:        cfg.FailedErrorRate,
		recoveryRate:      cfg.RecoveryErrorRate,
		slowExecution:     cfg.SlowExecutionThreshold.Seconds(),
		unresponsiveAfter: cfg.UnresponsiveAfter,
		minExecutions:     float64(cfg.MinExecutions),
	}
}

// observation is what one evaluation knows about a worker's recent window and its commands.
type observation struct {
	idle      bool // no execution at all left in the recent window
	hasRate   bool // at least min_executions executions in the recent window
	errorRate float64
	hasP95    bool // at least min_executions durations in the recent window
	p95       float64
	// unresponsive: commands sent to the worker went unanswered past their timeout, or the
	// oldest one waiting is older than unresponsive_after.
	unresponsive bool
	// wasUnresponsive: the previous evaluation found it unresponsive.
	wasUnresponsive bool
}

// classify decides a worker's state from its previous state and what the recent window shows.
//
//   - failed: unresponsive, or error rate ≥ failedRate;
//   - degraded: error rate ≥ errorRate, or p95 ≥ slowExecution;
//   - healthy otherwise, except that a degraded or failed worker leaves its state only once its
//     error rate is below recoveryRate (hysteresis). With too little evidence for a rate verdict
//     it keeps its state, until its recent window holds no execution at all (traffic stopped:
//     idle, and healthy), so nothing stays raised per worker after traffic ends, and a worker
//     whose execution count wobbles around min_executions does not flap.
//
// Silence is never a verdict: a worker with no commands waiting is idle, not failed. A worker
// that answers again after being unresponsive is judged afresh on its rates, as if it had been
// healthy: its failure was the silence, not a rate that must fall below recovery_error_rate
// (the timeouts it caused still count as errors in that rate).
func classify(prev healthState, o observation, th thresholds) (healthState, issues) {
	if o.wasUnresponsive && !o.unresponsive {
		prev = stateHealthy
	}
	var is issues
	is[issueHighErrorRate] = o.hasRate && o.errorRate >= th.errorRate
	is[issueSlowExecution] = o.hasP95 && o.p95 >= th.slowExecution
	is[issueUnresponsive] = o.unresponsive

	failing := o.unresponsive || (o.hasRate && o.errorRate >= th.failedRate)
	degrading := is[issueHighErrorRate] || is[issueSlowExecution]
	switch {
	case failing:
		return stateFailed, is
	case prev == stateHealthy || o.idle:
		if degrading {
			return stateDegraded, is
		}
		return stateHealthy, is
	case !o.hasRate || o.errorRate >= th.recoveryRate:
		return prev, is
	case degrading:
		return stateDegraded, is
	default:
		return stateHealthy, is
	}
}
