package notify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func alertIn(state State, fp string) Alert {
	return Alert{Name: "worker_failure", Fingerprint: fp, State: state, Severity: SeverityError}
}

func TestLedgerFiringCooldownResolve(t *testing.T) {
	l := newLedger(10, 4*time.Hour, true)
	a := alertIn(StateFiring, "fp1")
	a.Cooldown = 15 * time.Minute

	act, repeat := l.decide(alertIn(StatePending, "fp1"), t0)
	assert.Equal(t, actionNone, act, "pending never notifies")
	assert.False(t, repeat)

	act, repeat = l.decide(alertIn(StateResolved, "fp1"), t0)
	assert.Equal(t, actionNone, act, "no resolve before its trigger")
	assert.False(t, repeat)

	act, repeat = l.decide(a, t0)
	require.Equal(t, actionFire, act)
	assert.False(t, repeat)
	l.fired("fp1", t0)

	act, _ = l.decide(a, t0.Add(14*time.Minute))
	assert.Equal(t, actionNone, act, "inside the cooldown")
	act, repeat = l.decide(a, t0.Add(15*time.Minute))
	assert.Equal(t, actionFire, act, "cooldown over")
	assert.True(t, repeat)
	l.fired("fp1", t0.Add(15*time.Minute))

	act, _ = l.decide(alertIn(StatePending, "fp1"), t0.Add(16*time.Minute))
	assert.Equal(t, actionNone, act)

	act, _ = l.decide(alertIn(StateResolved, "fp1"), t0.Add(20*time.Minute))
	require.Equal(t, actionResolve, act)
	l.forget("fp1")
	act, _ = l.decide(alertIn(StateResolved, "fp1"), t0.Add(21*time.Minute))
	assert.Equal(t, actionNone, act, "resolved once")

	act, repeat = l.decide(a, t0.Add(22*time.Minute))
	assert.Equal(t, actionFire, act, "a new firing after a resolve is a new incident")
	assert.False(t, repeat)
}

func TestLedgerRepeatIntervalWithoutCooldown(t *testing.T) {
	l := newLedger(10, time.Hour, true)
	a := alertIn(StateFiring, "fp")
	l.fired("fp", t0)
	act, _ := l.decide(a, t0.Add(59*time.Minute))
	assert.Equal(t, actionNone, act)
	act, _ = l.decide(a, t0.Add(time.Hour))
	assert.Equal(t, actionFire, act)
}

func TestLedgerSendResolvedOff(t *testing.T) {
	l := newLedger(10, time.Hour, false)
	l.fired("fp", t0)
	act, _ := l.decide(alertIn(StateResolved, "fp"), t0.Add(time.Minute))
	assert.Equal(t, actionForget, act)
}

func TestLedgerRejectedFiringWaitsAndNeverResolves(t *testing.T) {
	l := newLedger(10, time.Hour, true)
	l.rejected("fp", t0)
	act, _ := l.decide(alertIn(StateFiring, "fp"), t0.Add(time.Minute))
	assert.Equal(t, actionNone, act, "a refused firing is not retried before its cooldown")
	act, _ = l.decide(alertIn(StateResolved, "fp"), t0.Add(2*time.Minute))
	assert.Equal(t, actionForget, act, "nothing was sent, so nothing to resolve")
	act, repeat := l.decide(alertIn(StateFiring, "fp"), t0.Add(time.Hour))
	assert.Equal(t, actionFire, act)
	assert.False(t, repeat)
}

func TestLedgerBoundedEvictsOldest(t *testing.T) {
	l := newLedger(3, time.Hour, true)
	assert.Zero(t, l.fired("a", t0))
	assert.Zero(t, l.fired("b", t0.Add(time.Second)))
	assert.Zero(t, l.fired("c", t0.Add(2*time.Second)))
	assert.Zero(t, l.fired("a", t0.Add(3*time.Second)), "updating a known entry evicts nothing")
	assert.Equal(t, 1, l.fired("d", t0.Add(4*time.Second)))
	assert.Equal(t, 3, l.len())
	assert.NotContains(t, l.entries, "b", "b was told longest ago")
	assert.Equal(t, 1, l.fired("e", t0.Add(5*time.Second)))
	assert.NotContains(t, l.entries, "c", "then c")
	l.forget("a")
	assert.Zero(t, l.fired("f", t0.Add(6*time.Second)), "forgetting made room")
}

func TestLedgerRoundTrip(t *testing.T) {
	l := newLedger(10, time.Hour, true)
	l.fired("a", t0)
	l.rejected("b", t0.Add(time.Minute))
	data, err := l.marshal()
	require.NoError(t, err)

	restored := newLedger(10, time.Hour, true)
	evicted, err := restored.load(data)
	require.NoError(t, err)
	assert.Zero(t, evicted)
	a, _ := l.get("a")
	ra, _ := restored.get("a")
	assert.Equal(t, a.FiredAt.UnixNano(), ra.FiredAt.UnixNano())
	b, _ := l.get("b")
	rb, _ := restored.get("b")
	assert.Equal(t, b.RejectedAt.UnixNano(), rb.RejectedAt.UnixNano())

	small := newLedger(1, time.Hour, true)
	evicted, err = small.load(data)
	require.NoError(t, err)
	assert.Equal(t, 1, evicted)
	assert.Contains(t, small.entries, "b", "the newest survives")
}

func TestLedgerLoadRejectsBadData(t *testing.T) {
	l := newLedger(10, time.Hour, true)
	_, err := l.load([]byte("{not json"))
	assert.Error(t, err)
	_, err = l.load([]byte(`{"version":99,"entries":{}}`))
	assert.ErrorContains(t, err, "version 99")
}

func FuzzLedgerLoad(f *testing.F) {
	f.Add([]byte(`{"version":1,"entries":{"fp":{"fired_at":"2026-01-02T03:04:05Z"}}}`))
	f.Add([]byte(`{"version":1,"entries":{"":{}, "x":{"rejected_at":"2026-01-02T03:04:05Z"}}}`))
	f.Add([]byte(`{"version":1,"entries":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := newLedger(4, time.Hour, true)
		if _, err := l.load(data); err != nil {
			return
		}
		if l.len() > 4 || l.order.Len() != l.len() {
			t.Fatalf("loaded %d entries (list %d) against a cap of 4", l.len(), l.order.Len())
		}
		l.decide(alertIn(StateFiring, "fp"), t0)
		l.decide(alertIn(StateResolved, "x"), t0)
		if _, err := l.marshal(); err != nil {
			t.Fatal(err)
		}
	})
}
