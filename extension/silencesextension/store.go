package silencesextension

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

var (
	// errNotFound: no silence has the id (404).
	errNotFound = errors.New("silence not found")
	// errFull: max_silences pending or active silences are held (the request is refused).
	errFull = errors.New("silence limit reached")
)

// invalidError is a silence or request that Alertmanager would refuse with 400.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

func invalid(format string, args ...any) error { return &invalidError{fmt.Sprintf(format, args...)} }

// store holds the silences. Matching (Silenced) takes the read lock only.
type store struct {
	mu        sync.RWMutex
	byID      map[string]*Silence
	max       int
	retention time.Duration
}

func newStore(maxSilences int, retention time.Duration) *store {
	return &store{byID: map[string]*Silence{}, max: maxSilences, retention: retention}
}

// changes counts what a call dropped, for the extension's telemetry.
type changes struct {
	forgotten, evicted int
}

// set creates or updates a silence with Alertmanager 0.25's semantics: a silence with an id
// that exists is changed in place when that rewrites no history (same matchers; a pending
// silence that stays in the future; an active one with the same start and an end not in the
// past); otherwise the old one is expired (unless it already is) and a new one, with a new
// id, replaces it. An unknown id is errNotFound. A new silence starting in the past starts now.
func (st *store) set(s *Silence, now time.Time) (string, changes, error) {
	if err := s.compile(); err != nil {
		return "", changes{}, invalid("silence invalid: %v", err)
	}
	if !s.StartsAt.Before(s.EndsAt) {
		return "", changes{}, invalid("Failed to create silence: start time must be before end time")
	}
	if s.EndsAt.Before(now) {
		return "", changes{}, invalid("Failed to create silence: end time can't be in the past")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var ch changes
	if s.ID != "" {
		prev, ok := st.byID[s.ID]
		if !ok {
			return "", ch, errNotFound
		}
		if canUpdate(prev, s, now) {
			s.UpdatedAt = now
			st.byID[s.ID] = s
			return s.ID, ch, nil
		}
		if prev.State(now) != StateExpired {
			st.expireLocked(prev, now)
		}
	}
	ch.forgotten = st.forgetLocked(now)
	if len(st.byID) >= st.max {
		ch.evicted = st.evictLocked(len(st.byID)-st.max+1, now)
		if len(st.byID) >= st.max {
			return "", ch, errFull
		}
	}
	s.ID = newID()
	if s.StartsAt.Before(now) {
		s.StartsAt = now
	}
	s.UpdatedAt = now
	st.byID[s.ID] = s
	return s.ID, ch, nil
}

// canUpdate is Alertmanager's rule for changing a silence in place.
func canUpdate(prev, next *Silence, now time.Time) bool {
	if !slices.Equal(prev.Matchers, next.Matchers) {
		return false
	}
	switch prev.State(now) {
	case StateActive:
		return next.StartsAt.Unix() == prev.StartsAt.Unix() && !next.EndsAt.Before(now)
	case StatePending:
		return !next.StartsAt.Before(now)
	}
	return false
}

// expire ends the silence now (a pending one never starts); an expired one is left as it is.
func (st *store) expire(id string, now time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[id]
	if !ok {
		return errNotFound
	}
	st.expireLocked(s, now)
	return nil
}

// expireLocked replaces s by an expired copy, so a reader holding s never sees it change.
func (st *store) expireLocked(s *Silence, now time.Time) {
	switch s.State(now) {
	case StateExpired:
		return
	case StatePending:
		c := *s
		c.StartsAt, c.EndsAt, c.UpdatedAt = now, now, now
		st.byID[s.ID] = &c
	case StateActive:
		c := *s
		c.EndsAt, c.UpdatedAt = now, now
		st.byID[s.ID] = &c
	}
}

// forget drops the silences that expired more than retention ago.
func (st *store) forget(now time.Time) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.forgetLocked(now)
}

func (st *store) forgetLocked(now time.Time) int {
	n := 0
	for id, s := range st.byID {
		if now.Sub(s.EndsAt) > st.retention && s.State(now) == StateExpired {
			delete(st.byID, id)
			n++
		}
	}
	return n
}

// evictLocked drops up to n expired silences, those that ended first first; it never drops a
// pending or active one (that would lift a silence nobody expired).
func (st *store) evictLocked(n int, now time.Time) int {
	var expired []*Silence
	for _, s := range st.byID {
		if s.State(now) == StateExpired {
			expired = append(expired, s)
		}
	}
	sort.Slice(expired, func(i, j int) bool { return expired[i].EndsAt.Before(expired[j].EndsAt) })
	n = min(n, len(expired))
	for _, s := range expired[:n] {
		delete(st.byID, s.ID)
	}
	return n
}

// get returns the silence with the id.
func (st *store) get(id string) (*Silence, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	s, ok := st.byID[id]
	return s, ok
}

// list returns the silences that every filter selects, in Alertmanager's order: active
// (ending first first), pending (starting first first), expired (ended last first).
func (st *store) list(filters []filterMatcher, now time.Time) []gettableSilence {
	st.mu.RLock()
	out := make([]gettableSilence, 0, len(st.byID))
	for _, s := range st.byID {
		selected := true
		for _, f := range filters {
			selected = selected && f.selects(s)
		}
		if selected {
			out = append(out, gettableSilence{Silence: s, Status: silenceStatus{State: s.State(now)}})
		}
	}
	st.mu.RUnlock()
	order := map[State]int{StateActive: 0, StatePending: 1, StateExpired: 2}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Status.State != b.Status.State {
			return order[a.Status.State] < order[b.Status.State]
		}
		switch a.Status.State {
		case StateActive:
			return a.EndsAt.Before(b.EndsAt)
		case StatePending:
			return a.StartsAt.Before(b.StartsAt)
		}
		return a.EndsAt.After(b.EndsAt)
	})
	return out
}

// Silenced implements Silencer.
func (st *store) Silenced(labels map[string]string, now time.Time) []string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var ids []string
	for id, s := range st.byID {
		if s.State(now) == StateActive && s.matches(labels) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// counts returns the number of silences in each state at now.
func (st *store) counts(now time.Time) map[State]int {
	st.mu.RLock()
	defer st.mu.RUnlock()
	c := make(map[State]int, len(states))
	for _, s := range st.byID {
		c[s.State(now)]++
	}
	return c
}

// storedVersion is the format version of what is kept in the storage extension.
const storedVersion = 1

type storedSilences struct {
	Version  int        `json:"version"`
	Silences []*Silence `json:"silences"`
}

// encode returns every silence in its stored form.
func (st *store) encode() ([]byte, error) {
	st.mu.RLock()
	all := make([]*Silence, 0, len(st.byID))
	for _, s := range st.byID {
		all = append(all, s)
	}
	st.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return json.Marshal(storedSilences{Version: storedVersion, Silences: all})
}

// restore loads stored silences, skipping any that no longer validate; it returns how many
// were loaded and skipped. Past max_silences, the expired ones ending first are dropped.
func (st *store) restore(data []byte, now time.Time) (loaded, skipped int, err error) {
	var stored storedSilences
	if err := json.Unmarshal(data, &stored); err != nil {
		return 0, 0, err
	}
	if stored.Version != storedVersion {
		return 0, 0, fmt.Errorf("stored silences have format version %d, this extension reads %d", stored.Version, storedVersion)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, s := range stored.Silences {
		if s == nil || s.ID == "" || s.compile() != nil {
			skipped++
			continue
		}
		st.byID[s.ID] = s
		loaded++
	}
	st.forgetLocked(now)
	if len(st.byID) > st.max {
		st.evictLocked(len(st.byID)-st.max, now)
	}
	return loaded, skipped, nil
}
