package multiagentsreceiver

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

func withPartition(count, index int) harnessOption {
	return func(h *harness) {
		h.cfg.Redis.Partition = PartitionConfig{Count: count, Index: index}
		h.cfg.InstanceID = fmt.Sprintf("replica-%d", index)
	}
}

// waitAllSubscribed waits until every receiver has its subscription confirmed (NUMPAT counts
// unique patterns, so it cannot tell two receivers from one).
func waitAllSubscribed(t *testing.T, hs ...*harness) {
	t.Helper()
	for _, h := range hs {
		require.Eventually(t, func() bool {
			st := h.host.statuses()
			return len(st) > 0 && st[len(st)-1] == componentstatus.StatusOK
		}, 10*time.Second, 10*time.Millisecond, "receiver never subscribed")
	}
}

// rootsByTransaction maps each root span's transaction id to how many times it was exported.
func rootsByTransaction(spans []ptrace.Span) map[string]int {
	out := map[string]int{}
	for _, s := range spans {
		if s.ParentSpanID().IsEmpty() {
			out[s.Attributes().AsRaw()[attrTransactionID].(string)]++
		}
	}
	return out
}

func txID(prefix, i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012d", prefix, i) }

func publishWorkflow(h *harness, tx, workflow string, at time.Time) {
	cmd := "cmd-" + tx
	h.publish(ch+"status.workflow", statusEvent("s-"+tx, tx, workflow, naive(at), "running", "Workflow started"))
	h.publish(ch+"command.w", commandEvent(cmd, tx, workflow, "step", "w", naive(at.Add(time.Second)), 60, `{}`))
	h.publish(ch+"result.w", resultEvent("r-"+tx, tx, "step", "w", cmd, naive(at.Add(2*time.Second)), true, "", `{}`))
	h.publish(ch+"status.workflow", statusEvent("e-"+tx, tx, workflow, naive(at.Add(3*time.Second)), "completed", "Workflow completed"))
}

func TestPartitionOf(t *testing.T) {
	assert.Equal(t, 0, partitionOf("", 3), "events without a transaction id belong to partition 0")
	assert.Equal(t, 0, partitionOf("anything", 1))
	// FNV-1a-64 of "a" is 0xaf63dc4c8601ec8c, the published test vector: other tools can compute the same split.
	assert.Equal(t, int(uint64(0xaf63dc4c8601ec8c)%3), partitionOf("a", 3))
	h := fnv.New64a()
	_, _ = h.Write([]byte(txID(1, 7)))
	assert.Equal(t, int(h.Sum64()%5), partitionOf(txID(1, 7), 5), "the same as hash/fnv")
	seen := map[int]int{}
	for i := 0; i < 3000; i++ {
		p := partitionOf(txID(1, i), 3)
		require.Equal(t, p, partitionOf(txID(1, i), 3), "stable")
		seen[p]++
	}
	for p := 0; p < 3; p++ {
		assert.InDelta(t, 1000, seen[p], 150, "partition %d gets about a third", p)
	}
}

// Two replicas with count 2 on one Redis: disjoint transactions whose union is everything,
// counters that add up, and the replica identity on every resource.
func TestPartitionedReplicasSplitTheBus(t *testing.T) {
	srv := testredis.Start(t)
	replicas := []*harness{
		startHarnessOn(t, srv, zap.NewNop(), false, withPartition(2, 0)),
		startHarnessOn(t, srv, zap.NewNop(), false, withPartition(2, 1)),
	}
	waitAllSubscribed(t, replicas...)

	const n = 40
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// First, so that it has been processed once the workflows have (one connection keeps order).
	replicas[0].publish(ch+"custom.audit", `{"type": "custom", "event_name": "audit", "timestamp": "2026-01-01T00:00:00", "data": {}}`)
	for i := 0; i < n; i++ {
		publishWorkflow(replicas[0], txID(2, i), "order", at)
	}

	union := map[string]int{}
	var totalWorkflows, totalEvents int64
	for i, h := range replicas {
		mine := 0
		for j := 0; j < n; j++ {
			if partitionOf(txID(2, j), 2) == i {
				mine++
			}
		}
		// Every message reached the replica (the custom one is replica 1's other partition),
		// and its own traces were flushed.
		require.Eventually(t, func() bool {
			return h.counterValue("otelcol_receiver_multiagents_other_partition_events", map[string]string{"transport": "redis"})+
				float64(eventsSeen(h)) == float64(4*n+i) && len(rootsByTransaction(h.allSpans())) >= mine
		}, 10*time.Second, 10*time.Millisecond)
		time.Sleep(50 * time.Millisecond) // let any extra span arrive so that counts are exact
		roots := rootsByTransaction(h.allSpans())
		assert.NotEmpty(t, roots, "replica %d got a share", i)
		for tx, c := range roots {
			assert.Equal(t, 1, c, "%s exported once by replica %d", tx, i)
			assert.Equal(t, i, partitionOf(tx, 2), "replica %d only assembles its own partition", i)
			union[tx] += c
		}
		md := h.emitMetrics()
		got := sumValues(t, md, metricWorkflows)["workflow.id=order,status=completed"]
		assert.Equal(t, int64(len(roots)), got, "replica %d counts what it exported", i)
		totalWorkflows += got
		totalEvents += eventsSeen(h)
		custom := 0
		for _, lr := range h.allLogs() {
			if lr.Attributes().AsRaw()["multiagents.event_name"] == "audit" {
				custom++
			}
		}
		assert.Equal(t, 1-i, custom, "the event without a transaction id belongs to partition 0 only")

		want := map[string]any{attrServiceInstanceID: fmt.Sprintf("replica-%d", i), attrPartitionIndex: int64(i), attrPartitionCount: int64(2), "service.name": serviceName}
		assertResource(t, want, md.ResourceMetrics().At(0).Resource(), "metrics")
		for _, td := range h.traces.AllTraces() {
			assertResource(t, want, td.ResourceSpans().At(0).Resource(), "traces")
		}
		require.NotEmpty(t, h.logs.AllLogs())
		for _, ld := range h.logs.AllLogs() {
			assertResource(t, want, ld.ResourceLogs().At(0).Resource(), "logs")
		}
	}
	assert.Len(t, union, n, "the union is every transaction")
	for tx, c := range union {
		assert.Equal(t, 1, c, "%s assembled by exactly one replica", tx)
	}
	assert.Equal(t, int64(n), totalWorkflows, "workflow counters add up over replicas")
	assert.Equal(t, int64(4*n), totalEvents, "event counters add up")
}

// eventsSeen is what the events metric has counted so far (custom events included).
func eventsSeen(h *harness) int64 {
	h.recv.asm.mu.Lock()
	defer h.recv.asm.mu.Unlock()
	var total int64
	for _, v := range h.recv.asm.metrics.events {
		total += v
	}
	return total
}

func assertResource(t *testing.T, want map[string]any, res pcommon.Resource, signal string) {
	t.Helper()
	raw := res.Attributes().AsRaw()
	for k, v := range want {
		assert.Equal(t, v, raw[k], "%s resource attribute %s", signal, k)
	}
}

func TestHTTPPushOfAnotherPartitionIsAcceptedNotAssembled(t *testing.T) {
	h := startHarness(t, withHTTP(1<<20), withPartition(2, 0))
	var mine, theirs string
	for i := 0; mine == "" || theirs == ""; i++ {
		if partitionOf(txID(3, i), 2) == 0 {
			mine = txID(3, i)
		} else {
			theirs = txID(3, i)
		}
	}
	body := "[" + statusEvent("s1", mine, "wf", "2026-01-01T00:00:00", "completed", "Workflow completed") + "," +
		statusEvent("s2", theirs, "wf", "2026-01-01T00:00:00", "completed", "Workflow completed") + "]"
	code, resp, _ := postEvents(t, h, []byte(body), nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2, resp.Accepted)
	assert.Equal(t, map[string]int{mine: 1}, rootsByTransaction(h.allSpans()))
	assert.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_other_partition_events",
		map[string]string{"transport": "http", "receiver": h.recv.settings.ID.String()}), "own telemetry keeps receiver=<id>")
}

// setSaga writes saga:<tx> as the orchestrator does.
func setSaga(t *testing.T, srv *testredis.Server, tx, state string, created, updated time.Time, history ...string) {
	t.Helper()
	h := ""
	for i, e := range history {
		if i > 0 {
			h += ", "
		}
		h += e
	}
	_, err := srv.Do("SET", "saga:"+tx, sagaJSON(tx, "order", state, naive(created), naive(updated), h))
	require.NoError(t, err)
}

func TestReconcileRespectsThePartition(t *testing.T) {
	srv := testredis.Start(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // the harness clock
	const n = 30
	for i := 0; i < n; i++ {
		tx := txID(4, i)
		setSaga(t, srv, tx, "completed", now.Add(-2*time.Minute), now.Add(-time.Minute),
			historyEntry("step", "completed", naive(now.Add(-2*time.Minute)), naive(now.Add(-time.Minute)), "c-"+tx))
	}
	replicas := []*harness{
		startHarnessOn(t, srv, zap.NewNop(), false, withPartition(2, 0)),
		startHarnessOn(t, srv, zap.NewNop(), false, withPartition(2, 1)),
	}
	union := map[string]int{}
	var reconciled float64
	for i, h := range replicas {
		require.Eventually(t, func() bool {
			return h.counterValue("otelcol_receiver_multiagents_reconciled_transactions", nil) > 0
		}, 10*time.Second, 10*time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		roots := rootsByTransaction(h.allSpans())
		for tx, c := range roots {
			assert.Equal(t, i, partitionOf(tx, 2), "replica %d rebuilt only its own sagas", i)
			union[tx] += c
		}
		reconciled += h.counterValue("otelcol_receiver_multiagents_reconciled_transactions", nil)
	}
	assert.Len(t, union, n)
	for tx, c := range union {
		assert.Equal(t, 1, c, tx)
	}
	assert.Equal(t, float64(n), reconciled)
}

func TestReconcileStopsAtMaxSagas(t *testing.T) {
	srv := testredis.Start(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 20; i++ {
		setSaga(t, srv, txID(5, i), "completed", now.Add(-time.Minute), now.Add(-time.Minute))
	}
	h := startHarnessOn(t, srv, zap.NewNop(), true, func(h *harness) { h.cfg.Redis.ReconcileMaxSagas = 5 })
	require.Eventually(t, func() bool {
		return h.counterValue("otelcol_receiver_multiagents_reconcile_truncated", nil) == 1
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, 5.0, h.counterValue("otelcol_receiver_multiagents_reconciled_transactions", nil))
}

// stopHarness stops the receiver now (a collector shutdown); the cleanup's later stop is a no-op.
func stopHarness(t *testing.T, h *harness) {
	t.Helper()
	require.NoError(t, h.shared.Shutdown(context.Background()))
}

func withStorage(host notifytest.Host) harnessOption {
	return func(h *harness) {
		id := notifytest.FileStorageID
		h.cfg.Storage = &id
		h.host.extensions = map[component.ID]component.Component(host)
		// The storage is keyed by the component id, which a collector keeps across restarts.
		h.recv.settings.ID = component.MustNewIDWithName("multiagents", "restart")
	}
}

func withClockAt(at time.Time) harnessOption {
	return func(h *harness) { h.clock.Advance(at.Sub(h.clock.Now())) }
}

// A restart with storage: workflows that ended while the receiver was stopped appear once
// each (spans and metrics), nothing exported before is exported again.
func TestRestartWithStorageLosesNothingAndRepeatsNothing(t *testing.T) {
	srv := testredis.Start(t)
	dir := t.TempDir()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var (
		txDone    = txID(6, 1) // ended live before the stop
		txOpen    = txID(6, 2) // open at the stop (one step done live), ended while stopped
		txWhile   = txID(6, 3) // ran entirely while stopped
		txAncient = txID(6, 4) // ended long before the checkpoint
		cmdOpen1  = "c-open-1"
		cmdOpen2  = "c-open-2"
	)

	storageHost, stopStorage := notifytest.StartFileStorage(t, dir)
	a := startHarnessOn(t, srv, zap.NewNop(), true, withStorage(storageHost), withClockAt(t0))
	publishWorkflow(a, txDone, "order", t0.Add(-10*time.Second))
	a.publish(ch+"status.workflow", statusEvent("s-open", txOpen, "order", naive(t0.Add(-5*time.Second)), "running", "Workflow started"))
	a.publish(ch+"command.w", commandEvent(cmdOpen1, txOpen, "order", "step1", "w", naive(t0.Add(-4*time.Second)), 60, `{}`))
	a.publish(ch+"result.w", resultEvent("r-open", txOpen, "step1", "w", cmdOpen1, naive(t0.Add(-3*time.Second)), true, "", `{}`))
	a.waitProcessed(7)
	require.Equal(t, map[string]int{txDone: 1}, rootsByTransaction(a.allSpans()))
	assert.Len(t, a.allSpans(), 3, "txDone's root and step, txOpen's first step")
	a.clock.Advance(10 * time.Second) // the last metrics emission (the checkpoint) is at t0+10s
	a.emitMetrics()
	stopHarness(t, a)
	stopStorage()

	// While stopped, the orchestrator finished txOpen and ran txWhile; txDone's saga is still there.
	setSaga(t, srv, txDone, "completed", t0.Add(-10*time.Second), t0.Add(-7*time.Second),
		historyEntry("step", "completed", naive(t0.Add(-9*time.Second)), naive(t0.Add(-8*time.Second)), "cmd-"+txDone))
	setSaga(t, srv, txOpen, "completed", t0.Add(-5*time.Second), t0.Add(time.Minute),
		historyEntry("step1", "completed", naive(t0.Add(-4*time.Second)), naive(t0.Add(-3*time.Second)), cmdOpen1),
		historyEntry("step2", "completed", naive(t0.Add(30*time.Second)), naive(t0.Add(50*time.Second)), cmdOpen2))
	setSaga(t, srv, txWhile, "failed", t0.Add(2*time.Minute), t0.Add(3*time.Minute),
		historyEntry("step", "failed", naive(t0.Add(2*time.Minute)), naive(t0.Add(3*time.Minute)), "c-while"))
	setSaga(t, srv, txAncient, "completed", t0.Add(-2*time.Hour), t0.Add(-time.Hour))

	storageHost, _ = notifytest.StartFileStorage(t, dir)
	b := startHarnessOn(t, srv, zap.NewNop(), true, withStorage(storageHost), withClockAt(t0.Add(4*time.Minute)))
	spans := b.waitSpans(4)
	assert.Equal(t, map[string]int{txOpen: 1, txWhile: 1}, rootsByTransaction(spans),
		"each workflow that ended while stopped once; the one exported before and the ancient one not")
	require.Len(t, spans, 4, "two roots, txOpen's second step (its first went out before the stop) and txWhile's step")
	for _, s := range spans {
		if s.ParentSpanID().IsEmpty() {
			assert.Equal(t, true, s.Attributes().AsRaw()[attrReconstructed])
			continue
		}
		assert.NotEqual(t, spanIDFor(spanRoleStep, cmdOpen1), s.SpanID(), "a step exported before the stop is not exported again")
	}
	md := b.emitMetrics()
	assert.Equal(t, map[string]int64{
		"workflow.id=order,status=completed": 1,
		"workflow.id=order,status=failed":    1,
	}, sumValues(t, md, metricWorkflows))
	assert.Equal(t, histPoint{2, 65 + 60}, histValues(t, md, metricWorkflowDuration)["workflow.id=order"],
		"durations from the sagas' created_at to updated_at")

	// A second restart repeats nothing: only the one workflow that ended during the second stop appears.
	stopHarness(t, b)
	txSecond := txID(6, 5)
	setSaga(t, srv, txSecond, "completed", t0.Add(4*time.Minute), t0.Add(5*time.Minute))
	storageHost, _ = notifytest.StartFileStorage(t, dir)
	c := startHarnessOn(t, srv, zap.NewNop(), true, withStorage(storageHost), withClockAt(t0.Add(6*time.Minute)))
	assert.Equal(t, map[string]int{txSecond: 1}, rootsByTransaction(c.waitSpans(1)))
	assert.Len(t, c.allSpans(), 1)
}

// Without storage, reconcile_lookback bounds the catch-up: what ended within it appears once,
// what ended before it is lost (documented).
func TestRestartWithoutStorageUsesTheLookback(t *testing.T) {
	srv := testredis.Start(t)
	start := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	var (
		txRecent = txID(7, 1) // ended 2 minutes before the start
		txOlder  = txID(7, 2) // ended 7 minutes before the start: outside the 5m look-back
		txOpen   = txID(7, 3) // still open: continues
		txEdge   = txID(7, 4) // ended 5m30s before: outside, the look-back has no extra slack
	)
	setSaga(t, srv, txEdge, "completed", start.Add(-6*time.Minute), start.Add(-5*time.Minute-30*time.Second))
	setSaga(t, srv, txRecent, "completed", start.Add(-3*time.Minute), start.Add(-2*time.Minute),
		historyEntry("step", "completed", naive(start.Add(-3*time.Minute)), naive(start.Add(-2*time.Minute)), "c-recent"))
	setSaga(t, srv, txOlder, "completed", start.Add(-8*time.Minute), start.Add(-7*time.Minute))
	setSaga(t, srv, txOpen, "running", start.Add(-time.Minute), start.Add(-time.Minute))

	h := startHarnessOn(t, srv, zap.NewNop(), true, withClockAt(start))
	spans := h.waitSpans(2)
	assert.Equal(t, map[string]int{txRecent: 1}, rootsByTransaction(spans))
	require.Len(t, spans, 2)
	h.publish(ch+"status.workflow", statusEvent("e-open", txOpen, "order", naive(start), "completed", "Workflow completed"))
	spans = h.waitSpans(3)
	assert.Equal(t, map[string]int{txRecent: 1, txOpen: 1}, rootsByTransaction(spans), "the open one continued live")
	md := h.emitMetrics()
	assert.Equal(t, map[string]int64{"workflow.id=order,status=completed": 2}, sumValues(t, md, metricWorkflows))
}

func TestLookbackZeroRebuildsOnlyOpenWorkflows(t *testing.T) {
	srv := testredis.Start(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	setSaga(t, srv, txID(8, 1), "completed", start.Add(-time.Minute), start.Add(-30*time.Second))
	setSaga(t, srv, txID(8, 2), "running", start.Add(-time.Minute), start.Add(-30*time.Second))
	h := startHarnessOn(t, srv, zap.NewNop(), true, withClockAt(start), func(h *harness) { h.cfg.Redis.ReconcileLookback = 0 })
	require.Eventually(t, func() bool {
		return h.counterValue("otelcol_receiver_multiagents_reconciled_transactions", nil) == 1
	}, 10*time.Second, 10*time.Millisecond, "the open one is rebuilt")
	assert.Empty(t, h.allSpans(), "the ended one is not")
}

func TestCheckpointEncoding(t *testing.T) {
	st := &checkpointState{at: time.Unix(1767225600, 123), ended: []uint64{1, 2, 3}, commands: []uint64{^uint64(0)}}
	got, err := decodeCheckpoint(st.encode())
	require.NoError(t, err)
	assert.True(t, st.at.Equal(got.at))
	assert.Equal(t, st.ended, got.ended)
	assert.Equal(t, st.commands, got.commands)
	data := st.encode()
	for _, bad := range [][]byte{nil, {9}, data[:len(data)-1], append([]byte{2}, data[1:]...)} {
		_, err := decodeCheckpoint(bad)
		assert.Error(t, err)
	}

	s := newRecentSet(3)
	for k := uint64(1); k <= 5; k++ {
		assert.Equal(t, k > 3, s.add(k, 1), "adding %d forgets one only once full", k)
	}
	assert.False(t, s.add(5, 1), "a key held already forgets nothing")
	assert.Equal(t, []uint64{3, 4, 5}, s.keys(), "oldest first, the evicted ones gone")
}

func TestStorageMustBeAStorageExtension(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	id := component.MustNewID("nope")
	cfg.Storage = &id
	r, err := newReceiver(cfg, receivertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	r.asm = newAssembler(cfg, zap.NewNop(), r.telemetry, time.Now, false)
	_, err = r.openCheckpoint(context.Background(), &statusHost{})
	require.ErrorContains(t, err, `storage: extension "nope" not found`)
}

func BenchmarkPartitionOf(b *testing.B) {
	const tx = "3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b"
	b.ReportAllocs()
	for b.Loop() {
		_ = partitionOf(tx, 3)
	}
}

// Without a metrics pipeline the checkpoint is still written (on the metrics rhythm and at shutdown).
func TestCheckpointWithoutMetricsPipeline(t *testing.T) {
	srv := testredis.Start(t)
	storageHost, stopStorage := notifytest.StartFileStorage(t, t.TempDir())
	h := startHarnessOn(t, srv, zap.NewNop(), true, withStorage(storageHost))
	tx := txID(9, 1)
	publishWorkflow(h, tx, "order", h.clock.Now())
	h.waitSpans(2)
	h.recv.nextMetrics = nil
	stopHarness(t, h) // the shutdown writes the checkpoint, as a metrics emission would
	cl, err := storageHost[notifytest.FileStorageID].(storage.Extension).GetClient(context.Background(), component.KindReceiver, h.recv.settings.ID, checkpointStorageName)
	require.NoError(t, err)
	data, err := cl.Get(context.Background(), checkpointKey)
	require.NoError(t, err)
	require.NoError(t, cl.Close(context.Background()))
	st, err := decodeCheckpoint(data)
	require.NoError(t, err)
	assert.Equal(t, []uint64{hashKey(spanRoleRoot, tx)}, st.ended)
	assert.True(t, h.clock.Now().Equal(st.at))
	assert.Empty(t, h.metrics.AllMetrics(), "nothing went to a metrics pipeline")
	stopStorage()
}
