package alertprocessor

import (
	"encoding/hex"
	"hash/fnv"
	"maps"
	"slices"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

type alertState int

const (
	statePending alertState = iota + 1
	stateFiring
	stateResolved
)

func (s alertState) String() string {
	switch s {
	case statePending:
		return "pending"
	case stateFiring:
		return "firing"
	case stateResolved:
		return "resolved"
	}
	return "inactive"
}

// stateInhibited is the alertstate written for a firing instance that an inhibit rule mutes.
// It is not a state of the machine: the instance stays firing (and is stored as firing), and
// whether it is muted is worked out again at every evaluation.
const stateInhibited = alertstate.StateInhibited

// instance is one alert instance: a rule and one set of group label values.
type instance struct {
	labels      []string // group label values, in the rule's group_by order
	fingerprint string
	description string

	state      alertState
	value      float64
	activeAt   time.Time // when the condition started to hold (start of pending)
	firedAt    time.Time
	clearedAt  time.Time // while firing: first evaluation at which the condition no longer held
	resolvedAt time.Time
	heldSeq    uint64 // the evaluation in which the condition last held
	inhibited  bool   // firing and muted by an inhibit rule in the last evaluation
	silenced   bool   // firing and matched by an active silence in the last evaluation
	// traces are the newest exemplars of the instance's group (at most max_trace_ids), written
	// on its data point. Not stored: after a restart they come back with the next failures.
	traces []traceRef

	// graceUntil is set on an instance restored firing from storage: until then, unless its
	// group has a value again, a missing series does not count as a cleared condition. After a
	// restart the series are only as old as the restart, so they get stale_after to come back.
	graceUntil time.Time
}

// writtenState is the alertstate attribute written for the instance.
func (in *instance) writtenState() string {
	if in.state == stateFiring && in.silenced {
		return stateSilenced
	}
	if in.state == stateFiring && in.inhibited {
		return stateInhibited
	}
	return in.state.String()
}

// fingerprint is a stable id of a rule and its group labels: the same across restarts and
// collector instances, so notifiers can deduplicate on it.
func fingerprint(rule string, groupBy, values []string) string {
	return fingerprintWithLabels(rule, groupBy, values, nil)
}

// fingerprintWithLabels adds a rule's static labels (they identify the alert too), in name
// order, after the group labels, so an instance of a rule without static labels keeps the
// fingerprint it had before they existed.
func fingerprintWithLabels(rule string, groupBy, values []string, static map[string]string) string {
	h := fnv.New64a()
	h.Write([]byte(rule))
	for i, k := range groupBy {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{'='})
		h.Write([]byte(values[i]))
	}
	for _, k := range slices.Sorted(maps.Keys(static)) {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{'='})
		h.Write([]byte(static[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprintOf is the fingerprint of the rule's instance with these group label values.
func (r *compiledRule) fingerprintOf(values []string) string {
	return fingerprintWithLabels(r.cfg.Name, r.cfg.GroupBy, values, r.cfg.Labels)
}

// stepper moves instances through the state machine; it owns the global instance budget.
type stepper struct {
	maxInstances int
	instances    int
	// onOverflow is called when an instance cannot be created because of maxInstances.
	onOverflow func(r *compiledRule)
	// onTransition is called on every state change (for telemetry and tests).
	onTransition func(r *compiledRule, in *instance, from alertState)
	// changed says that a firing or resolved instance appeared, went, or changed one of the
	// fields kept in storage since the state was last stored.
	changed bool
}

// observe applies one group's evaluation result: the condition held with value v.
func (st *stepper) observe(r *compiledRule, key string, labels []string, v float64, holds bool, now time.Time) {
	in := r.instances[key]
	if in != nil {
		in.graceUntil = time.Time{} // its group has a value again: evaluated as usual
	}
	if !holds {
		if in != nil {
			in.value = v
		}
		return
	}
	if in == nil {
		if st.instances >= st.maxInstances {
			st.onOverflow(r)
			return
		}
		st.instances++
		labelMap := make(map[string]string, len(labels))
		for i, k := range r.cfg.GroupBy {
			labelMap[k] = labels[i]
		}
		in = &instance{
			labels:      labels,
			fingerprint: r.fingerprintOf(labels),
			description: r.description.render(labelMap),
		}
		r.instances[key] = in
	}
	in.value = v
	in.heldSeq = r.evalSeq
	if !in.clearedAt.IsZero() {
		in.clearedAt = time.Time{}
		st.changed = true
	}
	if in.state == 0 || in.state == stateResolved {
		st.transition(r, in, statePending)
		in.activeAt = now
	}
	if in.state == statePending && now.Sub(in.activeAt) >= r.cfg.For {
		st.transition(r, in, stateFiring)
		in.firedAt = now
	}
}

// finish handles the rule's instances whose condition did not hold in this evaluation, and
// forgets what has been resolved for longer than retention.
func (st *stepper) finish(r *compiledRule, now time.Time, retention time.Duration) {
	for key, in := range r.instances {
		if in.heldSeq == r.evalSeq {
			continue
		}
		switch in.state {
		case statePending:
			// Never fired: dropped without a trace, as Prometheus does.
			delete(r.instances, key)
			st.instances--
		case stateFiring:
			if now.Before(in.graceUntil) {
				continue // restored, and its series has not come back yet
			}
			if in.clearedAt.IsZero() {
				in.clearedAt = now
				st.changed = true
			}
			if now.Sub(in.clearedAt) >= r.cfg.KeepFiringFor {
				st.transition(r, in, stateResolved)
				in.resolvedAt = now
			}
		case stateResolved:
			if now.Sub(in.resolvedAt) >= retention && now.After(in.resolvedAt) {
				delete(r.instances, key)
				st.instances--
				st.changed = true
			}
		}
	}
}

func (st *stepper) transition(r *compiledRule, in *instance, to alertState) {
	from := in.state
	in.state = to
	if from == stateFiring || from == stateResolved || to == stateFiring || to == stateResolved {
		st.changed = true
	}
	if st.onTransition != nil {
		st.onTransition(r, in, from)
	}
}
