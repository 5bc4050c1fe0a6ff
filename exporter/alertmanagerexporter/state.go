package alertmanagerexporter

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertlabel"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// firingValidResends is how many resend intervals a firing alert's endsAt lies beyond its last
// observation, as Prometheus sets it (4 × resend_delay): Alertmanager keeps the alert through
// three lost resends and resolves it by itself once we stop sending it.
const firingValidResends = 4

// Annotation names the exporter adds to the rule's own annotations.
const (
	annotationDescription = "description"
	annotationThreshold   = "threshold"
	annotationValue       = "value"
	annotationTraceIDs    = "trace_ids"
)

// instance is one alert instance as the exporter tracks it, by fingerprint.
type instance struct {
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	// StartsAt is when the exporter first saw the instance firing (the data point's time).
	StartsAt time.Time `json:"starts_at"`
	// ResolvedAt is the resolved data point's time; zero while firing.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// ResolvedSeen is when (exporter clock) the resolve was observed: resolved_resend_for counts from it.
	ResolvedSeen time.Time `json:"resolved_seen,omitzero"`
	Muted        bool      `json:"muted,omitempty"`
	// Version changes whenever what Alertmanager must learn at once changes (fired, resolved,
	// muted or unmuted); annotations and the value that merely moved wait for the next resend.
	Version uint64 `json:"version"`

	// LastSeen is when (exporter clock) the instance was last observed; a firing instance not
	// observed for firingValidResends resends has expired in Alertmanager and is forgotten.
	lastSeen time.Time
	// delivered is, per endpoint, the version delivered and when.
	delivered []delivery
}

type delivery struct {
	version uint64
	at      time.Time
}

func (in *instance) resolved() bool { return !in.ResolvedAt.IsZero() }

// postableAlert is one alert of POST /api/v2/alerts (Alertmanager's openapi postableAlert).
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// labelSet is the alert's label set as Alertmanager sees it (the shared contract): alertname,
// severity, the group and static labels, each name mapped with alertlabel.Name. Empty values
// are left out (Alertmanager and Prometheus treat them as absent). Two keys that map to one
// name (worker.name and worker_name) get their values joined with ";" in key order, as the
// Prometheus exporter does on /metrics.
func labelSet(a notify.Alert) map[string]string {
	set := map[string]string{"alertname": a.Name, "severity": a.Severity.String()}
	for _, l := range a.Labels { // sorted by key
		name := alertlabel.Name(l.Key)
		if name == "" || l.Value == "" || name == "alertname" || name == "severity" {
			continue
		}
		if prev, ok := set[name]; ok {
			set[name] = prev + ";" + l.Value
		} else {
			set[name] = l.Value
		}
	}
	return set
}

// annotationSet is what describes the alert: description, threshold, the rule's annotations
// rendered with the labels and the observed value, and the trace ids behind it. A rule
// annotation of the same (mapped) name as a built-in one wins: it is what the rule's author wrote.
// The observed value is kept apart (see instance.value).
func annotationSet(a notify.Alert) map[string]string {
	set := make(map[string]string)
	if a.Description != "" {
		set[annotationDescription] = a.Description
	}
	if a.Threshold != "" {
		set[annotationThreshold] = a.Threshold
	}
	if len(a.TraceIDs) > 0 {
		set[annotationTraceIDs] = strings.Join(a.TraceIDs, " ")
	}
	for _, l := range a.Annotations {
		if name := alertlabel.Name(l.Key); name != "" {
			set[name] = notify.RenderAnnotation(l.Value, a)
		}
	}
	return set
}

// tracker holds the instances; the exporter guards it with its mutex.
type tracker struct {
	cfg       *Config
	endpoints int
	byFP      map[string]*instance
	// values are the latest observed values, by fingerprint: sent with the next (re)send, and
	// not a reason to send on their own.
	values map[string]string
}

func newTracker(cfg *Config, endpoints int) *tracker {
	return &tracker{cfg: cfg, endpoints: endpoints, byFP: make(map[string]*instance), values: make(map[string]string)}
}

// observe records one observation at now (exporter clock). It tells whether the stored state
// changed (worth persisting) and how many instances were evicted to make room.
func (t *tracker) observe(a notify.Alert, now time.Time) (changed bool, evicted int) {
	at := a.Time
	if at.IsZero() {
		at = now
	}
	in := t.byFP[a.Fingerprint]
	switch {
	case a.State == notify.StatePending:
		return false, 0 // never sent, as Prometheus sends no pending alert
	case a.State.Firing():
		if in == nil || in.resolved() { // new, or firing again after a resolve: a new alert
			if in == nil {
				evicted = t.makeRoom()
			}
			in = &instance{Fingerprint: a.Fingerprint, StartsAt: at, Version: nextVersion(in)}
			t.byFP[a.Fingerprint] = in
			changed = true
		}
		if muted := a.State.Muted(); muted != in.Muted {
			in.Muted, changed = muted, true
			in.Version++
		}
	case a.State == notify.StateResolved:
		if in != nil && in.resolved() {
			in.lastSeen = now
			return false, 0
		}
		if in == nil { // resolved before we saw it fire (e.g. a restart without storage): still tell
			evicted = t.makeRoom()
			in = &instance{Fingerprint: a.Fingerprint, StartsAt: at}
			t.byFP[a.Fingerprint] = in
		}
		in.ResolvedAt, in.ResolvedSeen, in.Muted = maxTime(at, in.StartsAt), now, false
		in.Version++
		changed = true
	}
	in.lastSeen = now
	// Labels are constant for an instance; annotations (trace ids, a re-rendered value) may
	// move, and like the value they travel with the next resend, not as news of their own.
	in.Labels, in.Annotations = labelSet(a), annotationSet(a)
	if a.HasValue {
		t.values[a.Fingerprint] = notify.FormatValue(a.Value)
	}
	return changed, evicted
}

func nextVersion(old *instance) uint64 {
	if old == nil {
		return 1
	}
	return old.Version + 1
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// makeRoom evicts one instance when the tracker is full: a resolved one (resolved longest
// ago) before any firing one (observed longest ago). It returns how many it evicted.
func (t *tracker) makeRoom() int {
	if len(t.byFP) < t.cfg.MaxTrackedAlerts {
		return 0
	}
	var victim *instance
	for _, in := range t.byFP {
		if victim == nil || evictBefore(in, victim) {
			victim = in
		}
	}
	t.forget(victim.Fingerprint)
	return 1
}

func evictBefore(a, b *instance) bool {
	if a.resolved() != b.resolved() {
		return a.resolved()
	}
	if a.resolved() {
		return a.ResolvedSeen.Before(b.ResolvedSeen)
	}
	return a.lastSeen.Before(b.lastSeen)
}

func (t *tracker) forget(fp string) {
	delete(t.byFP, fp)
	delete(t.values, fp)
}

// expire forgets what needs no more sending: firing instances not observed for
// firingValidResends resends (Alertmanager has resolved them at their endsAt), and resolved ones
// past resolved_resend_for once the alert processor has stopped writing them too (else its next
// resolved point would look like a new resolve and be sent again). It tells whether anything
// was forgotten.
func (t *tracker) expire(now time.Time) bool {
	forgot := false
	for fp, in := range t.byFP {
		unseen := !now.Before(in.lastSeen.Add(firingValidResends * t.cfg.ResendInterval))
		if unseen && (!in.resolved() || !now.Before(in.ResolvedSeen.Add(t.cfg.ResolvedResendFor))) {
			t.forget(fp)
			forgot = true
		}
	}
	return forgot
}

// sendable tells whether the instance goes to Alertmanager at all.
func (t *tracker) sendable(in *instance) bool {
	return in.resolved() || !in.Muted || t.cfg.SendMuted
}

// nextDue is when the instance is next due at endpoint ep; ok is false when it needs no more
// sending there (muted and left out, or resolved and resent for long enough).
func (t *tracker) nextDue(in *instance, ep int) (time.Time, bool) {
	if !t.sendable(in) {
		return time.Time{}, false
	}
	d := in.deliveredTo(ep, t.endpoints)
	if d.version != in.Version {
		return time.Time{}, true // news: due at once
	}
	next := d.at.Add(t.cfg.ResendInterval)
	if in.resolved() && !next.Before(in.ResolvedSeen.Add(t.cfg.ResolvedResendFor)) {
		return time.Time{}, false
	}
	return next, true
}

func (in *instance) deliveredTo(ep, endpoints int) *delivery {
	if len(in.delivered) != endpoints {
		in.delivered = make([]delivery, endpoints)
	}
	return &in.delivered[ep]
}

// due returns the instances due at endpoint ep at now, oldest start first (so a batch split
// sends the longest-running alerts first), and the earliest later due time (zero: none).
func (t *tracker) due(ep int, now time.Time) (due []*instance, next time.Time) {
	for _, in := range t.byFP {
		at, ok := t.nextDue(in, ep)
		switch {
		case !ok:
		case !at.After(now):
			due = append(due, in)
		case next.IsZero() || at.Before(next):
			next = at
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].StartsAt.Equal(due[j].StartsAt) {
			return due[i].StartsAt.Before(due[j].StartsAt)
		}
		return due[i].Fingerprint < due[j].Fingerprint
	})
	return due, next
}

// postable is the instance as Alertmanager receives it at now.
func (t *tracker) postable(in *instance) postableAlert {
	anns := maps.Clone(in.Annotations)
	if v, ok := t.values[in.Fingerprint]; ok {
		if _, own := anns[annotationValue]; !own {
			if anns == nil {
				anns = make(map[string]string)
			}
			anns[annotationValue] = v
		}
	}
	ends := in.ResolvedAt
	if !in.resolved() {
		ends = in.lastSeen.Add(firingValidResends * t.cfg.ResendInterval)
	}
	return postableAlert{
		Labels: in.Labels, Annotations: anns,
		StartsAt: in.StartsAt, EndsAt: maxTime(ends, in.StartsAt),
		GeneratorURL: t.cfg.GeneratorURL,
	}
}

// markDelivered records that the listed versions reached endpoint ep at now.
func (t *tracker) markDelivered(ep int, sent map[string]uint64, now time.Time) {
	for fp, version := range sent {
		if in, ok := t.byFP[fp]; ok {
			*in.deliveredTo(ep, t.endpoints) = delivery{version: version, at: now}
		}
	}
}

// storedState is what the storage extension keeps: the instances with their startsAt and
// resolves, not what each endpoint got (after a restart everything is sent again, which also
// refills an Alertmanager that restarted meanwhile).
type storedState struct {
	FormatVersion int               `json:"format_version"`
	Instances     []*instance       `json:"instances"`
	Values        map[string]string `json:"values,omitempty"`
}

const stateFormatVersion = 1

func (t *tracker) marshal() ([]byte, error) {
	st := storedState{FormatVersion: stateFormatVersion, Values: t.values}
	for _, fp := range slices.Sorted(maps.Keys(t.byFP)) {
		st.Instances = append(st.Instances, t.byFP[fp])
	}
	return json.Marshal(st)
}

// load restores stored instances as observed at now; beyond max_tracked_alerts they are
// dropped (counted as evicted).
func (t *tracker) load(data []byte, now time.Time) (evicted int, err error) {
	var st storedState
	if err := json.Unmarshal(data, &st); err != nil {
		return 0, err
	}
	if st.FormatVersion != stateFormatVersion {
		return 0, fmt.Errorf("stored format version %d, want %d", st.FormatVersion, stateFormatVersion)
	}
	for _, in := range st.Instances {
		if in == nil || in.Fingerprint == "" || len(in.Labels) == 0 {
			continue
		}
		if len(t.byFP) >= t.cfg.MaxTrackedAlerts {
			evicted++
			continue
		}
		in.lastSeen = now
		t.byFP[in.Fingerprint] = in
		if v, ok := st.Values[in.Fingerprint]; ok {
			t.values[in.Fingerprint] = v
		}
	}
	return evicted, nil
}
