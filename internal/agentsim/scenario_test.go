package agentsim

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolveWorker(t *testing.T) {
	w, err := ResolveWorker(DefaultSteps, "process_payment")
	require.NoError(t, err)
	assert.Equal(t, "process_payment", w)
	w, err = ResolveWorker(DefaultSteps, "payment")
	require.NoError(t, err)
	assert.Equal(t, "process_payment", w, "a unique part of the name is enough")
	_, err = ResolveWorker(DefaultSteps, "_order")
	assert.ErrorContains(t, err, "several workers")
	_, err = ResolveWorker(DefaultSteps, "billing")
	assert.ErrorContains(t, err, "not one of the workers")
}

func TestParsePhase(t *testing.T) {
	ps, err := ParsePhase(DefaultSteps, "60s:payment=0.6")
	require.NoError(t, err)
	assert.Equal(t, []Phase{{At: time.Minute, Kind: KindFail, Worker: "process_payment", Rate: 0.6}}, ps)

	ps, err = ParsePhase(DefaultSteps, "1m30s:slow:ship_order=50%,check_inventory=0.1")
	require.NoError(t, err)
	assert.Equal(t, []Phase{
		{At: 90 * time.Second, Kind: KindSlow, Worker: "ship_order", Rate: 0.5},
		{At: 90 * time.Second, Kind: KindSlow, Worker: "check_inventory", Rate: 0.1},
	}, ps)

	for spec, want := range map[string]string{
		"process_payment=0.5":    "offset",
		"soon:payment=0.5":       "offset",
		"-5s:payment=0.5":        "negative",
		"10s:payment":            "not worker=rate",
		"10s:payment=1.5":        "outside [0, 1]",
		"10s:payment=lots":       "not a number",
		"10s:payment=NaN":        "outside [0, 1]",
		"10s:billing=0.5":        "not one of the workers",
		"10s:crash:payment=0.5":  "kind",
		"10s:":                   "no worker=rate",
		"10s:timeout:_order=0.1": "several workers",
	} {
		_, err := ParsePhase(DefaultSteps, spec)
		assert.ErrorContains(t, err, want, spec)
	}
}

func TestParseRates(t *testing.T) {
	rates := map[string]Rates{}
	require.NoError(t, ParseRates(DefaultSteps, KindFail, "payment=0.1, ship_order=0.02", rates))
	require.NoError(t, ParseRates(DefaultSteps, KindTimeout, "payment=0.01", rates))
	require.NoError(t, ParseRates(DefaultSteps, KindSlow, "check_inventory=5%", rates))
	assert.Equal(t, map[string]Rates{
		"process_payment": {Fail: 0.1, Timeout: 0.01},
		"ship_order":      {Fail: 0.02},
		"check_inventory": {Slow: 0.05},
	}, rates)
	assert.ErrorContains(t, ParseRates(DefaultSteps, KindFail, "payment", rates), "fail: \"payment\" is not worker=rate")
}

func TestRatesAtAppliesPhasesInOrder(t *testing.T) {
	s := NewScenario()
	s.Rates["process_payment"] = Rates{Fail: 0.1}
	// Given out of order: RatesAt sorts them by offset.
	s.Phases = []Phase{
		{At: 60 * time.Second, Kind: KindFail, Worker: "process_payment", Rate: 0},
		{At: 20 * time.Second, Kind: KindFail, Worker: "process_payment", Rate: 0.8},
		{At: 30 * time.Second, Kind: KindSlow, Worker: "process_payment", Rate: 0.2},
	}
	require.NoError(t, s.Validate())
	assert.Equal(t, Rates{Fail: 0.1}, s.RatesAt("process_payment", 19999*time.Millisecond))
	assert.Equal(t, Rates{Fail: 0.8}, s.RatesAt("process_payment", 20*time.Second), "a phase applies from its offset on")
	assert.Equal(t, Rates{Fail: 0.8, Slow: 0.2}, s.RatesAt("process_payment", 45*time.Second))
	assert.Equal(t, Rates{Fail: 0, Slow: 0.2}, s.RatesAt("process_payment", 10*time.Minute))
	assert.Equal(t, Rates{}, s.RatesAt("ship_order", 45*time.Second))
}

func TestScenarioValidateNamesTheSetting(t *testing.T) {
	cases := map[string]func(s *Scenario){
		"workers: at least one": func(s *Scenario) { s.Steps = nil },
		"workers: empty":        func(s *Scenario) { s.Steps = []string{"a", ""} },
		"workflow-id":           func(s *Scenario) { s.WorkflowID = "" },
		"step-latency":          func(s *Scenario) { s.StepLatency = -1 },
		"slow-duration":         func(s *Scenario) { s.SlowDuration = -1 },
		"step-timeout":          func(s *Scenario) { s.TimeoutSeconds = -1 },
		"cancel: rate 2":        func(s *Scenario) { s.CancelRate = 2 },
		"cancel: rate NaN":      func(s *Scenario) { s.CancelRate = math.NaN() },
		"rates of check_inventory: slow rate NaN": func(s *Scenario) { s.Rates["check_inventory"] = Rates{Slow: math.NaN()} },
		"rates: \"billing\"":                      func(s *Scenario) { s.Rates["billing"] = Rates{Fail: 0.1} },
		"rates of ship_order: fail":               func(s *Scenario) { s.Rates["ship_order"] = Rates{Fail: 1.2} },
		"exceeds 1":                               func(s *Scenario) { s.Rates["ship_order"] = Rates{Fail: 0.6, Slow: 0.6} },
		"phase 10s:fail:ship_order=0.7: fail + timeout + slow": func(s *Scenario) {
			s.Rates["ship_order"] = Rates{Timeout: 0.5}
			s.Phases = []Phase{{At: 10 * time.Second, Kind: KindFail, Worker: "ship_order", Rate: 0.7}}
		},
		"phase 1s:fail:billing=0.5": func(s *Scenario) {
			s.Phases = []Phase{{At: time.Second, Kind: KindFail, Worker: "billing", Rate: 0.5}}
		},
	}
	for want, mutate := range cases {
		s := NewScenario()
		mutate(s)
		assert.ErrorContains(t, s.Validate(), want)
	}
	assert.NoError(t, NewScenario().Validate())
}
