package notify

import (
	"container/list"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// action is what the ledger decides for one observed alert.
type action int

const (
	actionNone    action = iota // nothing to tell
	actionFire                  // send a firing notification
	actionResolve               // send a resolved notification
	actionForget                // drop the entry silently (resolved, but nothing to tell)
)

// entry is what the ledger remembers of one alert instance.
type entry struct {
	// FiredAt is when its last firing notification was delivered; zero when none was.
	FiredAt time.Time `json:"fired_at,omitzero"`
	// RejectedAt is when the destination last refused a firing permanently; repeats wait as after a delivery.
	RejectedAt time.Time `json:"rejected_at,omitzero"`
}

func (e entry) lastTold() time.Time {
	if e.RejectedAt.After(e.FiredAt) {
		return e.RejectedAt
	}
	return e.FiredAt
}

// ledger is the dedup/cooldown/resolve bookkeeping, keyed by fingerprint. It is bounded: past
// maxEntries the entry told longest ago is evicted, in O(1) from a list kept in the order of
// telling. It is not safe for concurrent use.
type ledger struct {
	entries        map[string]*list.Element // of *ledgerItem
	order          *list.List               // front: told longest ago
	maxEntries     int
	repeatInterval time.Duration
	sendResolved   bool
}

type ledgerItem struct {
	key string
	entry
}

func newLedger(maxEntries int, repeatInterval time.Duration, sendResolved bool) *ledger {
	return &ledger{
		entries:        make(map[string]*list.Element),
		order:          list.New(),
		maxEntries:     maxEntries,
		repeatInterval: repeatInterval,
		sendResolved:   sendResolved,
	}
}

func (l *ledger) get(fingerprint string) (entry, bool) {
	el, ok := l.entries[fingerprint]
	if !ok {
		return entry{}, false
	}
	return el.Value.(*ledgerItem).entry, true
}

// decide says what to do about an alert observed at now. It does not change the ledger.
func (l *ledger) decide(a Alert, now time.Time) (action, bool) {
	e, known := l.get(a.Fingerprint)
	switch a.State {
	case StateFiring:
		if !known {
			return actionFire, false
		}
		interval := a.Cooldown
		if interval <= 0 {
			interval = l.repeatInterval
		}
		if now.Sub(e.lastTold()) >= interval {
			return actionFire, !e.FiredAt.IsZero()
		}
		return actionNone, false
	case StateResolved:
		switch {
		case !known:
			return actionNone, false
		case !e.FiredAt.IsZero() && l.sendResolved:
			return actionResolve, false
		default:
			return actionForget, false
		}
	default: // pending never notifies
		return actionNone, false
	}
}

// fired records a delivered firing notification; it returns how many entries were evicted to make room.
func (l *ledger) fired(fingerprint string, now time.Time) int {
	e, _ := l.get(fingerprint)
	e.FiredAt = now
	return l.put(fingerprint, e)
}

// rejected records a firing notification the destination refused for good.
func (l *ledger) rejected(fingerprint string, now time.Time) int {
	e, _ := l.get(fingerprint)
	e.RejectedAt = now
	return l.put(fingerprint, e)
}

// forget drops an instance: after its resolve, the next firing is a new incident.
func (l *ledger) forget(fingerprint string) {
	if el, ok := l.entries[fingerprint]; ok {
		l.order.Remove(el)
		delete(l.entries, fingerprint)
	}
}

// put stores e as the most recently told entry and evicts the oldest past the cap; it returns
// how many were evicted.
func (l *ledger) put(fingerprint string, e entry) int {
	if el, ok := l.entries[fingerprint]; ok {
		el.Value.(*ledgerItem).entry = e
		l.order.MoveToBack(el)
		return 0
	}
	evicted := 0
	for len(l.entries) >= l.maxEntries {
		l.forget(l.order.Front().Value.(*ledgerItem).key)
		evicted++
	}
	l.entries[fingerprint] = l.order.PushBack(&ledgerItem{key: fingerprint, entry: e})
	return evicted
}

func (l *ledger) len() int { return len(l.entries) }

// ledgerSnapshot is the persisted form; the version lets a later format be told apart.
type ledgerSnapshot struct {
	Version int              `json:"version"`
	Entries map[string]entry `json:"entries"`
}

const ledgerVersion = 1

func (l *ledger) marshal() ([]byte, error) {
	entries := make(map[string]entry, len(l.entries))
	for k, el := range l.entries {
		entries[k] = el.Value.(*ledgerItem).entry
	}
	return json.Marshal(ledgerSnapshot{Version: ledgerVersion, Entries: entries})
}

// load replaces the entries with a persisted snapshot, keeping at most maxEntries of them.
// It returns how many were evicted to fit.
func (l *ledger) load(data []byte) (int, error) {
	var snap ledgerSnapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return 0, fmt.Errorf("decoding stored notification state: %w", err)
	}
	if snap.Version != ledgerVersion {
		return 0, fmt.Errorf("stored notification state has version %d, want %d", snap.Version, ledgerVersion)
	}
	keys := make([]string, 0, len(snap.Entries))
	for k := range snap.Entries {
		if k != "" {
			keys = append(keys, k)
		}
	}
	// Oldest first, so that the list order (and so eviction) follows the time of telling.
	sort.Slice(keys, func(i, j int) bool {
		ti, tj := snap.Entries[keys[i]].lastTold(), snap.Entries[keys[j]].lastTold()
		if ti.Equal(tj) {
			return keys[i] < keys[j]
		}
		return ti.Before(tj)
	})
	l.entries = make(map[string]*list.Element, len(keys))
	l.order = list.New()
	evicted := 0
	for _, k := range keys {
		evicted += l.put(k, snap.Entries[k])
	}
	return evicted, nil
}
