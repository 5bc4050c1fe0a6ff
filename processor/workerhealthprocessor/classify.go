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
	issueInactive
	issueCount
)

var issueNames = [issueCount]string{issueHighErrorRate: "high_error_rate", issueSlowExecution: "slow_execution", issueInactive: "inactive"}

// issues is the set of issues holding for a worker.
type issues [issueCount]bool

// thresholds are the classification settings taken from Config.
type thresholds struct {
	errorRate     float64
	failedRate    float64
	recoveryRate  float64
	slowExecution float64 // seconds
	inactiveAfter time.Duration
}

func thresholdsOf(cfg *Config) thresholds {
	return thresholds{
		errorRate:     cfg.ErrorRateThreshold,
		failedRate:    cfg.FailedErrorRate,
		recoveryRate:  cfg.RecoveryErrorRate,
		slowExecution: cfg.SlowExecutionThreshold.Seconds(),
		inactiveAfter: cfg.InactiveAfter,
	}
}

// observation is what one evaluation knows about a worker's recent window.
type observation struct {
	hasRate   bool // executions happened in the recent window
	errorRate float64
	hasP95    bool // durations were recorded in the recent window
	p95       float64
	inactive  bool // was active, and no execution for inactive_after
}

// classify decides a worker's state from its previous state and what the recent window shows.
//
//   - failed: inactive, or error rate ≥ failedRate;
//   - degraded: error rate ≥ errorRate, or p95 ≥ slowExecution;
//   - healthy otherwise, except that a degraded or failed worker leaves its state only once its
//     error rate is below recoveryRate (hysteresis). Until then it keeps its state; with no
//     executions in the recent window there is no error rate to judge, so it keeps it too.
func classify(prev healthState, o observation, th thresholds) (healthState, issues) {
	var is issues
	is[issueHighErrorRate] = o.hasRate && o.errorRate >= th.errorRate
	is[issueSlowExecution] = o.hasP95 && o.p95 >= th.slowExecution
	is[issueInactive] = o.inactive

	failing := o.inactive || (o.hasRate && o.errorRate >= th.failedRate)
	degrading := is[issueHighErrorRate] || is[issueSlowExecution]
	switch {
	case failing:
		return stateFailed, is
	case prev == stateHealthy:
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
