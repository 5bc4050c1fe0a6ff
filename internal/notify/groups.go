package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// groupAlert is one alert instance of a group: its latest observation, and whether it was told.
type groupAlert struct {
	Alert Alert `json:"alert"`
	// Told is true once a firing notification listing it was delivered (or refused for good):
	// it is no longer news, and its resolve is owed.
	Told bool `json:"told,omitempty"`
	// SeenAt is when it was last observed. A repeat re-tells only what the data still says:
	// the alert processor rewrites a firing alert every evaluation, but a log-record alert is
	// one record, and must not be repeated for ever after it.
	SeenAt time.Time `json:"seen_at,omitzero"`
}

// group is one aggregation group (Alertmanager's aggrGroup): the alerts whose group_by labels
// have the same values, told together.
type group struct {
	Key    string                 `json:"key"`
	Labels []Label                `json:"labels"`
	Alerts map[string]*groupAlert `json:"alerts"`
	// Open is true while the destination holds a delivered firing notification of the group
	// (a PagerDuty incident): the group's resolve is owed.
	Open bool `json:"open,omitempty"`
	// Flushed is true once group_wait has passed; later changes wait for group_interval.
	Flushed bool `json:"flushed,omitempty"`
	// CreatedAt starts group_wait. LastSentAt is the last notification told (delivered or
	// refused): group_interval and the repeat count from it. ChangedAt is the first change not
	// told yet (zero when none). RetryAt is when a failed send is tried again.
	CreatedAt  time.Time `json:"created_at"`
	LastSentAt time.Time `json:"last_sent_at,omitzero"`
	ChangedAt  time.Time `json:"changed_at,omitzero"`
	RetryAt    time.Time `json:"retry_at,omitzero"`
	// Failures counts consecutive retryable failures, for the backoff.
	Failures int `json:"failures,omitempty"`
	// Seq orders groups by creation: of two groups due at once, the older is sent first.
	Seq uint64 `json:"seq"`

	inFlight bool // a notification of it is being sent; never persisted
}

// lastActive is when the group last changed or was told; eviction forgets the oldest.
func (g *group) lastActive() time.Time {
	t := g.CreatedAt
	for _, u := range []time.Time{g.LastSentAt, g.ChangedAt} {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// changed tells whether the group holds news: an unmuted firing alert not told yet, or a told
// alert that resolved (when resolves are sent; otherwise told resolves are dropped on sight).
func (g *group) changed() bool {
	for _, ga := range g.Alerts {
		switch {
		case ga.Alert.State == StateFiring && !ga.Told:
			return true
		case ga.Alert.State == StateResolved && ga.Told:
			return true
		}
	}
	return false
}

// allResolved tells whether no alert of the group is firing or muted any more.
func (g *group) allResolved() bool {
	for _, ga := range g.Alerts {
		if ga.Alert.State != StateResolved {
			return false
		}
	}
	return true
}

// repeatInterval is the shortest effective repeat interval among the group's unmuted firing
// alerts observed since its last notification: an alert's cooldown, else repeat_interval. The
// most urgent alert sets the pace; false when no such alert is left to repeat.
func (g *group) repeatInterval(fallback time.Duration) (time.Duration, bool) {
	var interval time.Duration
	found := false
	for _, ga := range g.Alerts {
		if ga.Alert.State != StateFiring || ga.SeenAt.Before(g.LastSentAt) {
			continue
		}
		d := ga.Alert.Cooldown
		if d <= 0 {
			d = fallback
		}
		if !found || d < interval {
			interval, found = d, true
		}
	}
	return interval, found
}

// groupSettings are the parts of Config the group bookkeeping reads.
type groupSettings struct {
	groupBy                                  []string
	groupWait, groupInterval, repeatInterval time.Duration
	sendResolved                             bool
	maxGroups, maxAlerts                     int
}

// groups is the notifier's bookkeeping: every group and, for each alert instance, its group.
// It is bounded (maxGroups groups, maxAlerts alerts; past either the group active longest ago
// is forgotten and its alerts counted as evicted). It is not safe for concurrent use.
type groups struct {
	cfg     groupSettings
	byKey   map[string]*group
	byAlert map[string]*group // fingerprint → its group: an alert stays where it started
	alerts  int
	nextSeq uint64
}

func newGroups(cfg groupSettings) *groups {
	return &groups{cfg: cfg, byKey: make(map[string]*group), byAlert: make(map[string]*group)}
}

// groupLabels are the group_by labels of a, sorted by key; an absent label is left out, as
// Alertmanager does. "..." takes every label.
func (gs *groups) groupLabels(a Alert) []Label {
	all := append([]Label{{Key: alertstate.AttrAlertName, Value: a.Name}, {Key: alertstate.AttrSeverity, Value: a.Severity.String()}}, a.Labels...)
	var out []Label
	for _, l := range all {
		byAll := len(gs.cfg.groupBy) == 1 && gs.cfg.groupBy[0] == groupByAll && l.Key != alertstate.AttrSeverity
		if byAll || slices.Contains(gs.cfg.groupBy, l.Key) {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// GroupKeyOf renders group labels as the group key, {k="v", ...}.
func GroupKeyOf(labels []Label) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = l.Key + "=" + strconv.Quote(l.Value)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// GroupIDOf is the stable hash of a group key that destinations use as the group's identity.
func GroupIDOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// observe records one observation of an alert at now. It returns whether the stored state
// changed in a way worth persisting, and how many alerts were evicted to make room.
func (gs *groups) observe(a Alert, now time.Time) (changed bool, evicted int) {
	g, known := gs.byAlert[a.Fingerprint]
	switch a.State {
	case StatePending:
		return false, 0 // pending never notifies; an instance keeps its last told state
	case StateResolved:
		if !known {
			return false, 0
		}
		ga := g.Alerts[a.Fingerprint]
		ga.SeenAt = now
		if ga.Alert.State == StateResolved {
			ga.Alert = a
			return false, 0
		}
		if (!ga.Told && !g.inFlight) || !gs.cfg.sendResolved {
			gs.removeAlert(g, a.Fingerprint) // nothing was told, or resolves are not sent
			return true, 0
		}
		// Told, or its firing is being sent right now: keep the resolve. If that send fails,
		// concludeFailed drops it; if it succeeds, the resolve is news.
		ga.Alert = a
		gs.markChanged(g, now)
		return true, 0
	}
	// Firing or muted.
	if known {
		ga := g.Alerts[a.Fingerprint]
		stateChanged := ga.Alert.State != a.State
		ga.Alert, ga.SeenAt = a, now
		if stateChanged && g.changed() {
			gs.markChanged(g, now)
		}
		return stateChanged, 0
	}
	labels := gs.groupLabels(a)
	key := GroupKeyOf(labels)
	g, ok := gs.byKey[key]
	if !ok {
		evicted += gs.makeRoom(nil, gs.cfg.maxGroups-1, gs.cfg.maxAlerts-1)
		gs.nextSeq++
		g = &group{Key: key, Labels: labels, Alerts: make(map[string]*groupAlert), CreatedAt: now, Seq: gs.nextSeq}
		gs.byKey[key] = g
	} else if gs.alerts >= gs.cfg.maxAlerts {
		evicted += gs.makeRoom(g, gs.cfg.maxGroups, gs.cfg.maxAlerts-1)
		if gs.alerts >= gs.cfg.maxAlerts {
			return false, evicted + 1 // only its own group is left: the newcomer is not kept
		}
	}
	g.Alerts[a.Fingerprint] = &groupAlert{Alert: a, SeenAt: now}
	gs.byAlert[a.Fingerprint] = g
	gs.alerts++
	if g.changed() {
		gs.markChanged(g, now)
	}
	return true, evicted
}

func (gs *groups) markChanged(g *group, now time.Time) {
	if g.ChangedAt.IsZero() {
		g.ChangedAt = now
	}
}

// makeRoom forgets the groups active longest ago (never keep) until at most maxGroups groups
// and maxAlerts alerts remain; it returns how many alerts it forgot.
func (gs *groups) makeRoom(keep *group, maxGroups, maxAlerts int) int {
	evicted := 0
	for len(gs.byKey) > maxGroups || gs.alerts > maxAlerts {
		var oldest *group
		for _, g := range gs.byKey {
			if g == keep || g.inFlight {
				continue
			}
			if oldest == nil || g.lastActive().Before(oldest.lastActive()) ||
				(g.lastActive().Equal(oldest.lastActive()) && g.Key < oldest.Key) {
				oldest = g
			}
		}
		if oldest == nil {
			break
		}
		evicted += len(oldest.Alerts)
		gs.removeGroup(oldest)
	}
	return evicted
}

func (gs *groups) removeAlert(g *group, fingerprint string) {
	if _, ok := g.Alerts[fingerprint]; !ok {
		return
	}
	delete(g.Alerts, fingerprint)
	delete(gs.byAlert, fingerprint)
	gs.alerts--
	if len(g.Alerts) == 0 && !g.inFlight {
		delete(gs.byKey, g.Key)
	}
}

func (gs *groups) removeGroup(g *group) {
	for fp := range g.Alerts {
		delete(gs.byAlert, fp)
	}
	gs.alerts -= len(g.Alerts)
	delete(gs.byKey, g.Key)
}

// due is when the group must next be looked at, and false when nothing can come of it.
func (gs *groups) due(g *group) (time.Time, bool) {
	switch {
	case g.inFlight:
		return time.Time{}, false
	case !g.RetryAt.IsZero():
		return g.RetryAt, true
	case !g.Flushed:
		return g.CreatedAt.Add(gs.cfg.groupWait), true
	case !g.ChangedAt.IsZero():
		// A change waits group_wait after it was first seen, so that a burst of changes after a
		// quiet spell is still one message; a change to an open incident also waits
		// group_interval after the last notification. The incident's end does not (unlike
		// Alertmanager): once every alert of the group has resolved, the resolve is what on-call
		// waits for, and a flapping condition is held by the rules (for, keep_firing_for,
		// worker_health's recovery rate), not by delaying good news.
		at := g.ChangedAt.Add(gs.cfg.groupWait)
		if next := g.LastSentAt.Add(gs.cfg.groupInterval); !g.LastSentAt.IsZero() && next.After(at) && !g.allResolved() {
			at = next
		}
		return at, true
	}
	if interval, ok := g.repeatInterval(gs.cfg.repeatInterval); ok && !g.LastSentAt.IsZero() {
		return g.LastSentAt.Add(interval), true
	}
	return time.Time{}, false
}

// nextDue is the earliest due time of any group.
func (gs *groups) nextDue() (time.Time, bool) {
	var next time.Time
	found := false
	for _, g := range gs.byKey {
		if at, ok := gs.due(g); ok && (!found || at.Before(next)) {
			next, found = at, true
		}
	}
	return next, found
}

// dueGroup returns a group due at now (the earliest), or nil; force takes any group with news
// regardless of its timers (at shutdown).
func (gs *groups) dueGroup(now time.Time, force bool) *group {
	var best *group
	var bestAt time.Time
	for _, g := range gs.byKey {
		at, ok := gs.due(g)
		if !ok {
			continue
		}
		if at.After(now) && !(force && g.changed()) {
			continue
		}
		if best == nil || at.Before(bestAt) || (at.Equal(bestAt) && g.Seq < best.Seq) {
			best, bestAt = g, at
		}
	}
	return best
}

// prepare decides what g tells at now (Alertmanager's DedupStage): news (an alert to tell,
// a resolve owed) is sent; without news a group with firing alerts repeats after its repeat
// interval; else nothing. ok is false when nothing is to be sent.
func (gs *groups) prepare(g *group, now time.Time) (n Notification, ok bool) {
	n = Notification{GroupKey: g.Key, GroupID: GroupIDOf(g.Key), GroupLabels: g.Labels, Time: now}
	for _, ga := range g.Alerts {
		switch {
		case ga.Alert.State == StateFiring:
			n.Firing = append(n.Firing, ga.Alert)
		case ga.Alert.State.Muted() && ga.Told:
			n.Muted = append(n.Muted, ga.Alert)
		case ga.Alert.State == StateResolved && ga.Told:
			n.Resolved = append(n.Resolved, ga.Alert)
		}
	}
	for _, list := range [][]Alert{n.Firing, n.Muted, n.Resolved} {
		sortAlerts(list)
	}
	n.Status = StateFiring
	if len(n.Firing) == 0 && len(n.Muted) == 0 {
		n.Status = StateResolved
	}
	n.Severity = highestSeverity(n.Firing)
	if n.Severity == 0 {
		n.Severity = highestSeverity(n.Alerts())
	}
	switch {
	case g.changed():
		if n.GroupResolved() && !g.Open {
			return n, false // the firing never reached the destination: nothing to resolve there
		}
		return n, true
	case len(n.Firing) > 0 && !g.LastSentAt.IsZero():
		if interval, ok := g.repeatInterval(gs.cfg.repeatInterval); ok && now.Sub(g.LastSentAt) >= interval {
			n.Repeat = true
			return n, true
		}
	}
	return n, false
}

// concludeQuiet records a look at g that sent nothing: its group_wait is over, and the resolves
// nobody was told of are dropped.
func (gs *groups) concludeQuiet(g *group, n Notification) {
	g.Flushed = true
	g.RetryAt, g.Failures = time.Time{}, 0
	if !g.changed() {
		g.ChangedAt = time.Time{}
	}
	if n.GroupResolved() && !g.Open {
		for _, a := range n.Resolved {
			gs.removeAlert(g, a.Fingerprint)
		}
		if len(g.Alerts) == 0 {
			delete(gs.byKey, g.Key)
		}
	}
}

// concludeTold records n as told at now: delivered, or refused for good (a refusal is not
// retried, and the group waits as after a delivery, but it opens nothing at the destination).
func (gs *groups) concludeTold(g *group, n Notification, delivered bool, now time.Time) {
	g.inFlight = false
	g.Flushed = true
	g.LastSentAt = now
	g.RetryAt, g.Failures = time.Time{}, 0
	for _, a := range n.Firing {
		if ga, ok := g.Alerts[a.Fingerprint]; ok {
			ga.Told = true
		}
	}
	for _, a := range n.Resolved {
		// Only if it is still resolved: it may have fired again while the resolve was sent.
		if ga, ok := g.Alerts[a.Fingerprint]; ok && ga.Alert.State == StateResolved {
			gs.removeAlert(g, a.Fingerprint)
		}
	}
	if n.GroupResolved() {
		g.Open = false
	} else if delivered {
		g.Open = true
	}
	g.ChangedAt = time.Time{}
	if g.changed() {
		g.ChangedAt = now // news that arrived during the send waits for group_interval
	}
	if len(g.Alerts) == 0 {
		delete(gs.byKey, g.Key)
	}
}

// abort ends a send of g that never happened (shutdown came first): g keeps its news.
func (gs *groups) abort(g *group) {
	g.inFlight = false
	gs.dropUntoldResolves(g)
}

// dropUntoldResolves forgets the alerts that resolved while their first firing was being sent,
// when that send did not tell them: there is nothing to resolve.
func (gs *groups) dropUntoldResolves(g *group) {
	for fp, ga := range g.Alerts {
		if ga.Alert.State == StateResolved && !ga.Told {
			gs.removeAlert(g, fp)
		}
	}
	if len(g.Alerts) == 0 {
		delete(gs.byKey, g.Key)
	}
}

// concludeFailed schedules another try of g after a retryable failure.
func (gs *groups) concludeFailed(g *group, retryAt time.Time) {
	g.inFlight = false
	g.Failures++
	g.RetryAt = retryAt
	gs.dropUntoldResolves(g)
}

func (gs *groups) len() int { return len(gs.byKey) }

// withNews counts the groups holding news not told yet.
func (gs *groups) withNews() int {
	n := 0
	for _, g := range gs.byKey {
		if g.changed() {
			n++
		}
	}
	return n
}

func sortAlerts(as []Alert) {
	sort.Slice(as, func(i, j int) bool {
		if as[i].Name != as[j].Name {
			return as[i].Name < as[j].Name
		}
		if ki, kj := GroupKeyOf(as[i].Labels), GroupKeyOf(as[j].Labels); ki != kj {
			return ki < kj
		}
		return as[i].Fingerprint < as[j].Fingerprint
	})
}

func highestSeverity(as []Alert) Severity {
	var s Severity
	for _, a := range as {
		s = max(s, a.Severity)
	}
	return s
}

// groupsSnapshot is the persisted form; the version tells formats apart (1 was the per-alert
// ledger before grouping).
type groupsSnapshot struct {
	Version int      `json:"version"`
	Groups  []*group `json:"groups"`
}

const groupsVersion = 2

func (gs *groups) marshal() ([]byte, error) {
	snap := groupsSnapshot{Version: groupsVersion, Groups: make([]*group, 0, len(gs.byKey))}
	for _, g := range gs.byKey {
		snap.Groups = append(snap.Groups, g)
	}
	sort.Slice(snap.Groups, func(i, j int) bool { return snap.Groups[i].Key < snap.Groups[j].Key })
	return json.Marshal(snap)
}

// load replaces the groups with a persisted snapshot, keeping them within the bounds (the
// groups active longest ago go first). Groups keep their stored keys even when group_by has
// changed since, so that what they opened is resolved under the same identity; new alerts
// group by the new group_by. It returns how many alerts were evicted to fit.
func (gs *groups) load(data []byte) (int, error) {
	var snap groupsSnapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return 0, fmt.Errorf("decoding stored notification state: %w", err)
	}
	if snap.Version != groupsVersion {
		return 0, fmt.Errorf("stored notification state has version %d, want %d", snap.Version, groupsVersion)
	}
	gs.byKey = make(map[string]*group, len(snap.Groups))
	gs.byAlert = make(map[string]*group)
	gs.alerts = 0
	for _, g := range snap.Groups {
		if g == nil || g.Key == "" || len(g.Alerts) == 0 || gs.byKey[g.Key] != nil {
			continue
		}
		for fp, ga := range g.Alerts {
			if fp == "" || ga == nil || gs.byAlert[fp] != nil {
				delete(g.Alerts, fp)
				continue
			}
			ga.Alert.Fingerprint = fp
			gs.byAlert[fp] = g
			gs.alerts++
		}
		if len(g.Alerts) > 0 {
			gs.byKey[g.Key] = g
			gs.nextSeq = max(gs.nextSeq, g.Seq)
		}
	}
	return gs.makeRoom(nil, gs.cfg.maxGroups, gs.cfg.maxAlerts), nil
}
