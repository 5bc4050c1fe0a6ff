package workerhealthprocessor

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var guideThresholds = thresholds{errorRate: 0.1, failedRate: 0.5, recoveryRate: 0.05, slowExecution: 5, unresponsiveAfter: 5 * time.Minute, minExecutions: 10}

func rate(r float64) observation { return observation{hasRate: true, errorRate: r} }

func rateP95(r, p95 float64) observation {
	return observation{hasRate: true, errorRate: r, hasP95: true, p95: p95}
}

func issueSet(names ...issue) issues {
	var is issues
	for _, n := range names {
		is[n] = true
	}
	return is
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		prev   healthState
		obs    observation
		want   healthState
		issues issues
	}{
		// Entering states from healthy, on each side of each threshold.
		{"healthy, no errors", stateHealthy, rate(0), stateHealthy, issues{}},
		{"healthy, just below error_rate_threshold", stateHealthy, rate(0.099), stateHealthy, issues{}},
		{"healthy, at error_rate_threshold", stateHealthy, rate(0.1), stateDegraded, issueSet(issueHighErrorRate)},
		{"healthy, just below failed_error_rate", stateHealthy, rate(0.499), stateDegraded, issueSet(issueHighErrorRate)},
		{"healthy, at failed_error_rate", stateHealthy, rate(0.5), stateFailed, issueSet(issueHighErrorRate)},
		{"healthy, p95 just below slow threshold", stateHealthy, rateP95(0, 4.999), stateHealthy, issues{}},
		{"healthy, p95 at slow threshold", stateHealthy, rateP95(0, 5), stateDegraded, issueSet(issueSlowExecution)},
		{"healthy, slow and erroring", stateHealthy, rateP95(0.2, 7), stateDegraded, issueSet(issueHighErrorRate, issueSlowExecution)},
		{"healthy, unresponsive", stateHealthy, observation{unresponsive: true}, stateFailed, issueSet(issueUnresponsive)},
		{"healthy, idle (no executions in window)", stateHealthy, observation{idle: true}, stateHealthy, issues{}},

		// Hysteresis at error_rate_threshold: degraded holds until below recovery_error_rate.
		{"degraded, below threshold but above recovery holds", stateDegraded, rate(0.09), stateDegraded, issues{}},
		{"degraded, at recovery holds", stateDegraded, rate(0.05), stateDegraded, issues{}},
		{"degraded, below recovery recovers", stateDegraded, rate(0.049), stateHealthy, issues{}},
		{"degraded, rises to failed", stateDegraded, rate(0.6), stateFailed, issueSet(issueHighErrorRate)},

		// Hysteresis at failed_error_rate: failed holds until below recovery_error_rate.
		{"failed, just below failed_error_rate holds", stateFailed, rate(0.49), stateFailed, issueSet(issueHighErrorRate)},
		{"failed, below error_rate_threshold holds", stateFailed, rate(0.06), stateFailed, issues{}},
		{"failed, below recovery recovers", stateFailed, rate(0.04), stateHealthy, issues{}},
		{"failed, below recovery but slow goes to degraded", stateFailed, rateP95(0.04, 6), stateDegraded, issueSet(issueSlowExecution)},

		// Slow-execution threshold: a slow-degraded worker also needs its error rate below recovery.
		{"degraded, fast again with errors above recovery holds", stateDegraded, rateP95(0.07, 4.9), stateDegraded, issues{}},
		{"degraded, fast again with no errors recovers", stateDegraded, rateP95(0, 4.9), stateHealthy, issues{}},
		{"degraded, still slow", stateDegraded, rateP95(0, 5), stateDegraded, issueSet(issueSlowExecution)},

		// Unresponsiveness.
		{"failed by unresponsiveness, answering again and clean", stateFailed, rate(0), stateHealthy, issues{}},
		{"failed by rate, too few executions to judge holds", stateFailed, observation{}, stateFailed, issues{}},
		{"failed by unresponsiveness, answering, too few executions to judge is healthy", stateFailed, observation{wasUnresponsive: true}, stateHealthy, issues{}},
		{"failed by unresponsiveness, answering, timeouts in its error rate is degraded", stateFailed, observation{wasUnresponsive: true, hasRate: true, errorRate: 0.2}, stateDegraded, issueSet(issueHighErrorRate)},
		{"failed by unresponsiveness, still unresponsive", stateFailed, observation{wasUnresponsive: true, unresponsive: true}, stateFailed, issueSet(issueUnresponsive)},
		{"degraded, becomes unresponsive", stateDegraded, observation{unresponsive: true}, stateFailed, issueSet(issueUnresponsive)},
		{"unresponsive and erroring", stateHealthy, observation{unresponsive: true, hasRate: true, errorRate: 0.7}, stateFailed, issueSet(issueUnresponsive, issueHighErrorRate)},

		// Too little evidence (fewer than min_executions: no rate), and idleness.
		{"degraded, too few executions to judge holds", stateDegraded, observation{}, stateDegraded, issues{}},
		{"degraded, idle (window empty) is healthy", stateDegraded, observation{idle: true}, stateHealthy, issues{}},
		{"failed by rate, idle (window empty) is healthy", stateFailed, observation{idle: true}, stateHealthy, issues{}},
		{"failed, idle but unresponsive stays failed", stateFailed, observation{idle: true, unresponsive: true}, stateFailed, issueSet(issueUnresponsive)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, is := classify(tt.prev, tt.obs, guideThresholds)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.issues, is)
		})
	}
}

// A worker whose error rate or p95 wobbles across a threshold changes state once, not on every wobble.
func TestClassifyDoesNotFlap(t *testing.T) {
	framework := thresholds{errorRate: 0.2, failedRate: 0.5, recoveryRate: 0.1, slowExecution: 5, minExecutions: 10}
	tests := []struct {
		name string
		th   thresholds
		seq  []observation
		want []healthState
	}{
		{
			name: "around error_rate_threshold (guide)",
			th:   guideThresholds,
			seq:  []observation{rate(0.09), rate(0.11), rate(0.09), rate(0.11), rate(0.09), rate(0.04)},
			want: []healthState{stateHealthy, stateDegraded, stateDegraded, stateDegraded, stateDegraded, stateHealthy},
		},
		{
			name: "around failed_error_rate (guide)",
			th:   guideThresholds,
			seq:  []observation{rate(0.49), rate(0.51), rate(0.49), rate(0.51), rate(0.3), rate(0.01)},
			want: []healthState{stateDegraded, stateFailed, stateFailed, stateFailed, stateFailed, stateHealthy},
		},
		{
			name: "around error_rate_threshold (framework: degraded above 20 %, healthy below 10 %)",
			th:   framework,
			seq:  []observation{rate(0.19), rate(0.21), rate(0.15), rate(0.21), rate(0.11), rate(0.09)},
			want: []healthState{stateHealthy, stateDegraded, stateDegraded, stateDegraded, stateDegraded, stateHealthy},
		},
		{
			name: "around slow_execution_threshold with errors above recovery",
			th:   guideThresholds,
			seq:  []observation{rateP95(0.06, 4.9), rateP95(0.06, 5.1), rateP95(0.06, 4.9), rateP95(0.06, 5.1), rateP95(0.01, 4.9)},
			want: []healthState{stateHealthy, stateDegraded, stateDegraded, stateDegraded, stateHealthy},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := stateHealthy
			for i, o := range tt.seq {
				state, _ = classify(state, o, tt.th)
				assert.Equal(t, tt.want[i], state, fmt.Sprintf("step %d (%+v)", i, o))
			}
		})
	}
}
