package notify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// on is a worker_failure instance on worker, firing unless state says otherwise.
func on(worker, state string) map[string]any {
	p := point("fp-"+worker, state, "error")
	p["worker.name"] = worker
	return p
}

func TestGroupWaitGathersABurstIntoOneNotification(t *testing.T) {
	h := newHarness(t, testConfig())
	h.push(on("w1", "firing"))
	h.clock.set(t0.Add(500 * time.Millisecond))
	h.push(on("w2", "firing"), on("w3", "pending"))
	h.clock.set(t0.Add(1500 * time.Millisecond))
	h.push(on("w3", "firing"))
	h.at(1999 * time.Millisecond)
	assert.Empty(t, h.sender.sent(), "nothing before group_wait")
	h.at(2 * time.Second)
	require.Equal(t, []string{"firing[fp-w1 fp-w2 fp-w3]"}, h.sender.sent(), "one notification for the burst")
	n := h.sender.got[0]
	assert.Equal(t, `{alertname="worker_failure"}`, n.GroupKey)
	assert.Equal(t, GroupIDOf(n.GroupKey), n.GroupID)
	assert.Len(t, n.GroupID, 32)
	assert.Equal(t, SeverityError, n.Severity)
	assert.False(t, n.Repeat)
}

func TestGroupIntervalBatchesLaterChanges(t *testing.T) {
	h := newHarness(t, testConfig())
	h.push(on("w1", "firing"), on("w2", "firing"))
	h.at(2 * time.Second)
	require.Equal(t, []string{"firing[fp-w1 fp-w2]"}, h.sender.sent())

	h.clock.set(t0.Add(10 * time.Second))
	h.push(on("w3", "firing"))
	h.clock.set(t0.Add(20 * time.Second))
	h.push(on("w1", "resolved"))
	h.at(61 * time.Second)
	assert.Len(t, h.sender.sent(), 1, "changes wait for group_interval (1m after the last notification)")
	h.at(62 * time.Second)
	assert.Equal(t, []string{"firing[fp-w1 fp-w2]", "firing[fp-w2 fp-w3] resolved[fp-w1]"}, h.sender.sent(),
		"one notification for both changes, listing the resolved alert")

	// A change long after the last notification waits only group_wait.
	h.clock.set(t0.Add(10 * time.Minute))
	h.push(on("w4", "firing"))
	h.at(10*time.Minute + time.Second)
	assert.Len(t, h.sender.sent(), 2)
	h.at(10*time.Minute + 2*time.Second)
	assert.Equal(t, "firing[fp-w2 fp-w3 fp-w4]", h.sender.sent()[2])
}

func TestGroupRepeatsAfterTheShortestCooldownOfItsFiringAlerts(t *testing.T) {
	cfg := testConfig() // repeat_interval 1h
	h := newHarness(t, cfg)
	noCooldown := on("w1", "firing")
	noCooldown["cooldown"] = ""
	h.push(noCooldown)
	h.at(2 * time.Second)
	h.at(59 * time.Minute)
	h.push(noCooldown) // the alert processor rewrites a firing alert every evaluation
	h.at(time.Hour + time.Second)
	assert.Len(t, h.sender.sent(), 1, "no cooldown: repeat_interval (1h)")
	h.at(time.Hour + 2*time.Second)
	require.Len(t, h.sender.sent(), 2)
	assert.True(t, h.sender.got[1].Repeat)

	// An alert with a 15m cooldown joins: the group now repeats every 15m.
	h.push(on("w2", "firing"))
	h.at(time.Hour + time.Minute + 2*time.Second)
	require.Len(t, h.sender.sent(), 3)
	assert.False(t, h.sender.got[2].Repeat, "the join is news, not a repeat")
	h.at(time.Hour + 10*time.Minute)
	h.push(noCooldown, on("w2", "firing"))
	h.at(time.Hour + 16*time.Minute + time.Second)
	assert.Len(t, h.sender.sent(), 3)
	h.at(time.Hour + 16*time.Minute + 2*time.Second)
	require.Len(t, h.sender.sent(), 4)
	assert.True(t, h.sender.got[3].Repeat)
	assert.Equal(t, "firing[fp-w1 fp-w2]", h.sender.sent()[3])
}

// A repeat re-tells what the data still says: an alert not observed since the group's last
// notification (a log record, or a rule that stopped writing it) is not repeated for ever.
func TestGroupDoesNotRepeatWhatWasNotSeenAgain(t *testing.T) {
	h := newHarness(t, testConfig())
	h.push(on("w1", "firing"))
	h.at(2 * time.Second)
	h.at(10 * time.Hour)
	assert.Len(t, h.sender.sent(), 1, "not seen again: no repeat")
	h.push(on("w1", "firing"))
	h.at(10*time.Hour + time.Second)
	require.Len(t, h.sender.sent(), 2, "seen again past its cooldown: repeated")
	assert.True(t, h.sender.got[1].Repeat)
}

func TestGroupResolvesOnlyWhenEveryAlertHasResolved(t *testing.T) {
	h := newHarness(t, testConfig())
	h.push(on("w1", "firing"), on("w2", "firing"))
	h.at(2 * time.Second)
	h.clock.set(t0.Add(30 * time.Second))
	h.push(on("w1", "resolved"))
	h.at(62 * time.Second)
	require.Len(t, h.sender.got, 2)
	assert.False(t, h.sender.got[1].GroupResolved(), "w2 still fires: the group stays open")
	assert.Equal(t, "firing[fp-w2] resolved[fp-w1]", h.sender.sent()[1])

	// The last alert resolves 28 s after the last notification: the group's resolve waits
	// group_wait (2 s), not group_interval (until 122 s).
	h.clock.set(t0.Add(90 * time.Second))
	h.push(on("w2", "resolved"))
	h.at(91 * time.Second)
	require.Len(t, h.sender.got, 2, "group_wait still gathers")
	h.at(92 * time.Second)
	require.Len(t, h.sender.got, 3)
	assert.True(t, h.sender.got[2].GroupResolved())
	assert.Equal(t, "resolved[] resolved[fp-w2]", h.sender.sent()[2])
	assert.Equal(t, h.sender.got[0].GroupID, h.sender.got[2].GroupID, "one identity from trigger to resolve")
	assert.Equal(t, 0, h.n.groups.len())
}

// A resolve that arrives while its firing is being sent is not lost: the firing goes out, then
// the resolve; if the firing fails instead, there is nothing to resolve.
func TestResolveDuringTheFiringSend(t *testing.T) {
	h := newHarness(t, testConfig())
	h.push(on("w1", "firing"))
	h.sender.during = func() { h.sender.during = nil; h.push(on("w1", "resolved")) }
	h.at(2 * time.Second)
	h.at(62 * time.Second)
	assert.Equal(t, []string{"firing[fp-w1]", "resolved[] resolved[fp-w1]"}, h.sender.sent())

	h = newHarness(t, testConfig())
	h.push(on("w1", "firing"))
	h.sender.answers = []error{errors.New("HTTP 503")}
	h.sender.during = func() { h.sender.during = nil; h.push(on("w1", "resolved")) }
	h.at(2 * time.Second)
	h.at(time.Hour)
	assert.Empty(t, h.sender.sent())
	assert.Equal(t, 0, h.n.groups.len())
}

func TestGroupSendResolvedOff(t *testing.T) {
	cfg := testConfig()
	cfg.SendResolved = false
	h := newHarness(t, cfg)
	h.push(on("w1", "firing"))
	h.at(2 * time.Second)
	h.push(on("w1", "resolved"))
	h.at(time.Hour)
	assert.Equal(t, []string{"firing[fp-w1]"}, h.sender.sent())
	assert.Equal(t, 0, h.n.groups.len())
}

func TestInhibitedAlertsAreNotToldAndDoNotResolve(t *testing.T) {
	h := newHarness(t, testConfig())

	// Muted from the start: never told, and its resolve is not told either.
	h.push(on("w1", "inhibited"))
	h.at(time.Minute)
	h.push(on("w1", "resolved"))
	h.at(2 * time.Minute)
	assert.Empty(t, h.sender.sent(), "an inhibited alert is never notified")
	assert.Equal(t, 0, h.n.groups.len())

	// Told, then muted: it stays open, and being muted is no news.
	h.clock.set(t0.Add(10 * time.Minute))
	h.push(on("w2", "firing"), on("w3", "firing"))
	h.at(10*time.Minute + 2*time.Second)
	require.Equal(t, []string{"firing[fp-w2 fp-w3]"}, h.sender.sent())
	h.push(on("w2", "inhibited"))
	h.at(20 * time.Minute)
	assert.Len(t, h.sender.sent(), 1, "entering inhibition is not a change of the group")

	// w3 resolves: the group is told, w2 listed as muted, and the group stays open.
	h.push(on("w3", "resolved"))
	h.at(20*time.Minute + 2*time.Second)
	require.Len(t, h.sender.got, 2)
	assert.Equal(t, "firing[] resolved[fp-w3] muted[fp-w2]", h.sender.sent()[1])
	assert.False(t, h.sender.got[1].GroupResolved(), "a muted alert keeps the group open")

	// No repeat while only muted alerts fire.
	h.at(2 * time.Hour)
	assert.Len(t, h.sender.sent(), 2)

	// Back to firing: already told, so it is no news; normal rules apply, and its cooldown has
	// long passed since the group was last told, so the group repeats.
	h.clock.set(t0.Add(2 * time.Hour))
	h.push(on("w2", "firing"))
	h.at(2*time.Hour + 5*time.Minute)
	require.Len(t, h.sender.got, 3)
	assert.True(t, h.sender.got[2].Repeat)
	assert.Equal(t, "firing[fp-w2]", h.sender.sent()[2])

	// Muted and back again within its cooldown: nothing.
	h.push(on("w2", "inhibited"))
	h.clock.set(t0.Add(2*time.Hour + 6*time.Minute))
	h.push(on("w2", "firing"))
	h.at(2*time.Hour + 10*time.Minute)
	assert.Len(t, h.sender.sent(), 3, "no repeat before the cooldown")

	// Its resolve is sent as usual.
	h.push(on("w2", "resolved"))
	h.at(2*time.Hour + 11*time.Minute)
	require.Len(t, h.sender.sent(), 4)
	assert.Equal(t, "resolved[] resolved[fp-w2]", h.sender.sent()[3])

	// Leaving inhibition before ever being told is news.
	h.clock.set(t0.Add(3 * time.Hour))
	h.push(on("w4", "inhibited"))
	h.at(3*time.Hour + time.Minute)
	h.push(on("w4", "firing"))
	h.at(3*time.Hour + time.Minute + 2*time.Second)
	require.Len(t, h.sender.sent(), 5)
	assert.Equal(t, "firing[fp-w4]", h.sender.sent()[4])
}

func TestGroupByLabels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		groupBy []string
		want    []string
	}{
		{"by alertname", []string{"alertname"}, []string{`{alertname="worker_failure"}`}},
		{"by worker", []string{"alertname", "worker.name"}, []string{`{alertname="worker_failure", worker.name="w1"}`, `{alertname="worker_failure", worker.name="w2"}`}},
		{"everything", []string{"..."}, []string{`{alertname="worker_failure", worker.name="w1"}`, `{alertname="worker_failure", worker.name="w2"}`}},
		{"one group", nil, []string{`{}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.GroupBy = tc.groupBy
			h := newHarness(t, cfg)
			h.push(on("w1", "firing"), on("w2", "firing"))
			h.at(2 * time.Second)
			var keys []string
			for _, n := range h.sender.got {
				keys = append(keys, n.GroupKey)
			}
			assert.Equal(t, tc.want, keys)
		})
	}
}

func TestGroupBoundsEvictTheGroupActiveLongestAgo(t *testing.T) {
	cfg := testConfig()
	cfg.MaxGroups = 2
	cfg.GroupBy = []string{"alertname", "worker.name"}
	h := newHarness(t, cfg)
	for i, w := range []string{"w1", "w2", "w3"} {
		h.clock.set(t0.Add(time.Duration(i) * time.Second))
		h.push(on(w, "firing"), named("other", "o-"+w, "firing"))
	}
	assert.Equal(t, 2, h.n.groups.len(), "max_groups holds")
	assert.EqualValues(t, 4, h.n.Stats().Evicted.Load(), "every alert of the evicted groups is counted")

	cfg.MaxGroups = 100
	cfg.MaxTrackedAlerts = 3
	h = newHarness(t, cfg)
	h.push(on("w1", "firing"), on("w2", "firing"), on("w3", "firing"))
	h.clock.set(t0.Add(time.Second))
	h.push(on("w4", "firing"))
	assert.Equal(t, 3, h.n.groups.alerts, "max_tracked_alerts holds")
	assert.EqualValues(t, 1, h.n.Stats().Evicted.Load())
}

// A restart (with storage) at each phase of a group: waiting for group_wait, told and quiet,
// due with news while the collector was down, and retrying a failed send.
func TestGroupsSurviveRestartsInEveryPhase(t *testing.T) {
	cfg := testConfig()
	id := storageID
	cfg.Storage = &id
	store := &memStorage{data: map[string][]byte{}}
	host := hostWith{storageID: store}
	ctx := context.Background()
	restart := func(h *harness) *harness {
		require.NoError(t, h.n.Shutdown(ctx))
		next := newHarness(t, cfg)
		next.clock.set(h.clock.Now())
		require.NoError(t, next.n.Start(ctx, host))
		t.Cleanup(func() { _ = next.n.Shutdown(ctx) })
		return next
	}
	h := newHarness(t, cfg)
	h.n.cfg.Storage = nil // the first one starts by hand below
	h = restart(h)

	// 1. Within group_wait: the group (and its timer) survives; it is sent once when due.
	h.push(on("w1", "firing"), on("w2", "firing"))
	h.clock.set(t0.Add(time.Second))
	h = restart(h)
	h.at(2 * time.Second)
	assert.Equal(t, []string{"firing[fp-w1 fp-w2]"}, h.sender.sent())

	// 2. Told and quiet: no second page after the restart.
	h = restart(h)
	h.push(on("w1", "firing"), on("w2", "firing"))
	h.at(10 * time.Minute)
	assert.Empty(t, h.sender.sent(), "no re-page after a restart")

	// 3. News that fell due while down: sent after the restart, resolve not lost.
	h.push(on("w1", "resolved"))
	h.clock.set(t0.Add(10*time.Minute + time.Second)) // down before it is due (10m2s)
	h = restart(h)
	h.at(20 * time.Minute)
	assert.Equal(t, []string{"firing[fp-w2] resolved[fp-w1]"}, h.sender.sent())

	// 4. A failed send is retried after the restart.
	h.sender.answers = []error{errors.New("HTTP 503")}
	h.push(on("w2", "resolved"))
	h.at(22 * time.Minute)
	assert.Len(t, h.sender.sent(), 1, "the resolve got a 503")
	h = restart(h)
	h.at(22*time.Minute + 5*time.Second)
	assert.Equal(t, []string{"resolved[] resolved[fp-w2]"}, h.sender.sent())
	assert.Equal(t, 0, h.n.groups.len())
}

func TestGroupsRoundTripAndBadData(t *testing.T) {
	cfg := groupSettings{groupBy: []string{"alertname"}, groupWait: time.Second, groupInterval: time.Minute,
		repeatInterval: time.Hour, sendResolved: true, maxGroups: 10, maxAlerts: 10}
	gs := newGroups(cfg)
	for i, name := range []string{"a", "b", "c"} {
		_, _ = gs.observe(Alert{Name: name, Fingerprint: "fp-" + name, State: StateFiring, Severity: SeverityError}, t0.Add(time.Duration(i)*time.Second))
	}
	data, err := gs.marshal()
	require.NoError(t, err)

	restored := newGroups(cfg)
	evicted, err := restored.load(data)
	require.NoError(t, err)
	assert.Zero(t, evicted)
	assert.Equal(t, 3, restored.len())
	assert.Equal(t, restored.byKey[`{alertname="b"}`], restored.byAlert["fp-b"])
	at, ok := restored.nextDue()
	assert.True(t, ok)
	assert.True(t, at.Equal(t0.Add(time.Second)), "group_wait of the oldest group, got %s", at)

	cfg.maxGroups = 1
	small := newGroups(cfg)
	evicted, err = small.load(data)
	require.NoError(t, err)
	assert.Equal(t, 2, evicted)
	assert.Contains(t, small.byKey, `{alertname="c"}`, "the group active last survives")

	_, err = small.load([]byte("{not json"))
	assert.Error(t, err)
	_, err = small.load([]byte(`{"version":1,"entries":{}}`))
	assert.ErrorContains(t, err, "version 1", "the per-alert ledger of earlier releases is not read")
}

func FuzzGroupsLoad(f *testing.F) {
	f.Add([]byte(`{"version":2,"groups":[{"key":"{}","alerts":{"fp":{"alert":{"Name":"a","State":"firing"},"told":true}},"open":true}]}`))
	f.Add([]byte(`{"version":2,"groups":[null,{"key":"","alerts":null}]}`))
	f.Add([]byte(`{"version":2,"groups":[{"key":"x","alerts":{"":null,"y":null}}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		gs := newGroups(groupSettings{groupBy: []string{"alertname"}, groupInterval: time.Minute,
			repeatInterval: time.Hour, sendResolved: true, maxGroups: 2, maxAlerts: 4})
		if _, err := gs.load(data); err != nil {
			return
		}
		if gs.len() > 2 || gs.alerts > 4 || len(gs.byAlert) != gs.alerts {
			t.Fatalf("loaded %d groups, %d alerts (%d indexed) against caps of 2 and 4", gs.len(), gs.alerts, len(gs.byAlert))
		}
		_, _ = gs.observe(Alert{Name: "a", Fingerprint: "fp", State: StateResolved}, t0)
		later := t0.Add(48 * time.Hour)
		for range 10 { // bounded: a group with news that cannot be told is looked at again
			g := gs.dueGroup(later, true)
			if g == nil {
				break
			}
			if n, ok := gs.prepare(g, later); ok {
				gs.concludeTold(g, n, true, later)
			} else {
				gs.concludeQuiet(g, n)
			}
		}
		if _, err := gs.marshal(); err != nil {
			t.Fatal(err)
		}
	})
}
