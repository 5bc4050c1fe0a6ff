package notify

import (
	"encoding/json"
	"fmt"
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
// maxEntries the entry told longest ago is evicted. It is not safe for concurrent use.
type ledger struct {
	entries        map[string]entry
	maxEntries     int
	repeatInterval time.Duration
	sendResolved   bool
}

func newLedger(maxEntries int, repeatInterval time.Duration, sendResolved bool) *ledger {
	return &ledger{
		entries:        make(map[string]entry),
		maxEntries:     maxEntries,
		repeatInterval: repeatInterval,
		sendResolved:   sendResolved,
	}
}

// decide says what to do about an alert observed at now. It does not change the ledger.
func (l *ledger) decide(a Alert, now time.Time) (action, bool) {
	e, known := l.entries[a.Fingerprint]
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
	e := l.entries[fingerprint]
	e.FiredAt = now
	return l.put(fingerprint, e)
}

// rejected records a firing notification the destination refused for good.
func (l *ledger) rejected(fingerprint string, now time.Time) int {
	e := l.entries[fingerprint]
	e.RejectedAt = now
	return l.put(fingerprint, e)
}

// forget drops an instance: after its resolve, the next firing is a new incident.
func (l *ledger) forget(fingerprint string) {
	delete(l.entries, fingerprint)
}

func (l *ledger) put(fingerprint string, e entry) int {
	evicted := 0
	if _, ok := l.entries[fingerprint]; !ok {
		for len(l.entries) >= l.maxEntries {
			l.evictOldest()
			evicted++
		}
	}
	l.entries[fingerprint] = e
	return evicted
}

// evictOldest is linear, which is fine: entries are only added when a notification was sent,
// and sends are rate limited to a few per second.
func (l *ledger) evictOldest() {
	var oldestKey string
	var oldest time.Time
	first := true
	for k, e := range l.entries {
		if t := e.lastTold(); first || t.Before(oldest) {
			oldestKey, oldest, first = k, t, false
		}
	}
	delete(l.entries, oldestKey)
}

// ledgerSnapshot is the persisted form; the version lets a later format be told apart.
type ledgerSnapshot struct {
	Version int              `json:"version"`
	Entries map[string]entry `json:"entries"`
}

const ledgerVersion = 1

func (l *ledger) marshal() ([]byte, error) {
	return json.Marshal(ledgerSnapshot{Version: ledgerVersion, Entries: l.entries})
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
	delete(snap.Entries, "")
	if snap.Entries == nil {
		snap.Entries = make(map[string]entry)
	}
	l.entries = snap.Entries
	evicted := 0
	for len(l.entries) > l.maxEntries {
		l.evictOldest()
		evicted++
	}
	return evicted, nil
}
