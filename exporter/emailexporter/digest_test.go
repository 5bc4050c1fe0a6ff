package emailexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// manualTimer stands in for time.AfterFunc: the test fires it.
type manualTimer struct {
	mu      sync.Mutex
	pending []func()
	waits   []time.Duration
}

func (m *manualTimer) afterFunc(d time.Duration, f func()) func() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := len(m.pending)
	m.pending = append(m.pending, f)
	m.waits = append(m.waits, d)
	return func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		stopped := m.pending[i] != nil
		m.pending[i] = nil
		return stopped
	}
}

// fire runs every armed timer, as if group_wait passed.
func (m *manualTimer) fire() {
	m.mu.Lock()
	fs := append([]func(){}, m.pending...)
	for i := range m.pending {
		m.pending[i] = nil
	}
	m.mu.Unlock()
	for _, f := range fs {
		if f != nil {
			f()
		}
	}
}

// recordingDelivery records each delivered group; results scripts its answers.
type recordingDelivery struct {
	mu      sync.Mutex
	groups  [][]notify.Notification
	results []error
	calls   chan struct{}
	block   chan struct{} // when set, each delivery waits on it
}

func newRecordingDelivery() *recordingDelivery {
	return &recordingDelivery{calls: make(chan struct{}, 100)}
}

func (r *recordingDelivery) deliver(ctx context.Context, ns []notify.Notification) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	var err error
	if len(r.results) > 0 {
		err, r.results = r.results[0], r.results[1:]
	}
	if err == nil {
		r.groups = append(r.groups, ns)
	}
	r.mu.Unlock()
	r.calls <- struct{}{}
	return err
}

func (r *recordingDelivery) Groups() [][]notify.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]notify.Notification(nil), r.groups...)
}

func newTestDigest(t *testing.T, rec *recordingDelivery, backoff configretry.BackOffConfig) (*digest, *manualTimer, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	d, err := newDigest(time.Minute, backoff, rec.deliver, zap.New(core), noop.NewMeterProvider().Meter("test"))
	require.NoError(t, err)
	timer := &manualTimer{}
	d.afterFunc = timer.afterFunc
	d.Start()
	return d, timer, logs
}

func note(i int) notify.Notification {
	return notify.Notification{Alert: notify.Alert{
		Name: "worker_failure", Fingerprint: fmt.Sprintf("fp-%d", i), State: notify.StateFiring, Severity: notify.SeverityError,
	}}
}

func waitCalls(t *testing.T, rec *recordingDelivery, n int) {
	t.Helper()
	for range n {
		select {
		case <-rec.calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("delivery not called %d times", n)
		}
	}
}

func TestDigestGroupsSeparateArrivalsWithinGroupWait(t *testing.T) {
	rec := newRecordingDelivery()
	d, timer, _ := newTestDigest(t, rec, configretry.NewDefaultBackOffConfig())

	for i := range 10 {
		require.NoError(t, d.Send(context.Background(), note(i)))
	}
	assert.Equal(t, []time.Duration{time.Minute}, timer.waits, "only the first of a group starts group_wait")
	assert.Empty(t, rec.Groups(), "nothing leaves before group_wait")

	timer.fire()
	waitCalls(t, rec, 1)
	require.Len(t, rec.Groups(), 1)
	assert.Len(t, rec.Groups()[0], 10)

	// The next arrival starts a new group.
	require.NoError(t, d.Send(context.Background(), note(10)))
	timer.fire()
	waitCalls(t, rec, 1)
	require.Len(t, rec.Groups(), 2)
	assert.Equal(t, "fp-10", rec.Groups()[1][0].Fingerprint)
	require.NoError(t, d.Shutdown(context.Background()))
	assert.EqualValues(t, 2, d.stats.Mails.Load())
	assert.EqualValues(t, 11, d.stats.Alerts.Load())
}

func TestDigestLateTimerDoesNotCutTheNextGroup(t *testing.T) {
	rec := newRecordingDelivery()
	d, timer, _ := newTestDigest(t, rec, configretry.NewDefaultBackOffConfig())
	require.NoError(t, d.Send(context.Background(), note(1)))
	timer.mu.Lock()
	late := timer.pending[0] // the first group's timer, about to fire
	timer.mu.Unlock()
	for i := 2; i <= maxDigestAlerts; i++ { // the group fills up and leaves before its timer
		require.NoError(t, d.Send(context.Background(), note(i)))
	}
	waitCalls(t, rec, 1)
	require.NoError(t, d.Send(context.Background(), note(0))) // a new group begins
	late()                                                    // the old timer fires late
	require.Len(t, rec.Groups(), 1)
	d.mu.Lock()
	assert.Len(t, d.pending, 1, "the new group keeps waiting for its own group_wait")
	d.mu.Unlock()
	require.NoError(t, d.Shutdown(context.Background()))
}

func TestDigestIsCappedAtMaxDigestAlerts(t *testing.T) {
	rec := newRecordingDelivery()
	d, _, _ := newTestDigest(t, rec, configretry.NewDefaultBackOffConfig())
	for i := range maxDigestAlerts + 5 {
		require.NoError(t, d.Send(context.Background(), note(i)))
	}
	waitCalls(t, rec, 1)
	require.Len(t, rec.Groups()[0], maxDigestAlerts, "a full digest leaves without waiting")
	require.NoError(t, d.Shutdown(context.Background()))
	groups := rec.Groups()
	require.Len(t, groups, 2, "shutdown sends the rest")
	assert.Len(t, groups[1], 5)
}

func TestDigestRetriesTemporaryAndDropsPermanent(t *testing.T) {
	rec := newRecordingDelivery()
	rec.results = []error{
		errors.New("451 try again"),
		nil,
		consumererror.NewPermanent(errors.New("550 5.1.1 Mailbox unavailable")),
	}
	backoff := configretry.NewDefaultBackOffConfig()
	backoff.InitialInterval = time.Millisecond
	d, timer, logs := newTestDigest(t, rec, backoff)

	require.NoError(t, d.Send(context.Background(), note(1)))
	timer.fire()
	waitCalls(t, rec, 2)
	assert.Len(t, rec.Groups(), 1, "delivered on the retry")

	require.NoError(t, d.Send(context.Background(), note(2)))
	timer.fire()
	waitCalls(t, rec, 1)
	require.NoError(t, d.Shutdown(context.Background()))
	assert.Len(t, rec.Groups(), 1)
	assert.EqualValues(t, 1, d.stats.Dropped.Load())
	errs := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Message, "refused")
	assert.Contains(t, fmt.Sprint(errs[0].ContextMap()), "550 5.1.1 Mailbox unavailable")
	select {
	case <-rec.calls:
		t.Fatal("a permanent refusal was retried")
	default:
	}
}

func TestDigestQueueIsBounded(t *testing.T) {
	rec := newRecordingDelivery()
	rec.block = make(chan struct{})
	d, timer, logs := newTestDigest(t, rec, configretry.NewDefaultBackOffConfig())

	// One digest is being delivered (blocked); maxQueuedDigests wait; the next is dropped.
	for i := range maxQueuedDigests + 2 {
		require.NoError(t, d.Send(context.Background(), note(i)))
		timer.fire()
		if i == 0 {
			require.Eventually(t, func() bool { return len(d.queue) == 0 }, 10*time.Second, time.Millisecond)
		}
	}
	assert.EqualValues(t, 1, d.stats.Dropped.Load())
	assert.Equal(t, 1, logs.FilterMessageSnippet("queue is full").Len())
	close(rec.block)
	require.NoError(t, d.Shutdown(context.Background()))
	assert.Len(t, rec.Groups(), maxQueuedDigests+1)
	assert.ErrorIs(t, d.Send(context.Background(), note(99)), errShuttingDown)
}

func TestDigestShutdownGivesUpWhenItsContextEnds(t *testing.T) {
	rec := newRecordingDelivery()
	rec.block = make(chan struct{}) // the server never answers
	d, _, _ := newTestDigest(t, rec, configretry.NewDefaultBackOffConfig())
	require.NoError(t, d.Send(context.Background(), note(1)))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, d.Shutdown(ctx))
	assert.EqualValues(t, 1, d.stats.Dropped.Load(), "the held digest is counted as dropped, not lost silently")
}

func TestDigestShutdownWithoutDeadlineStopsAfterTheGrace(t *testing.T) {
	rec := newRecordingDelivery()
	rec.block = make(chan struct{}) // the SMTP server never answers
	d, _, _ := newTestDigest(t, rec, configretry.NewDefaultBackOffConfig())
	require.NoError(t, d.Send(context.Background(), note(1)))

	// The collector's shutdown context has no deadline; retry_on_failure would allow 5 minutes.
	start := time.Now()
	require.NoError(t, d.Shutdown(context.Background()))
	assert.Less(t, time.Since(start), notify.ShutdownGrace+5*time.Second, "shutdown waits for the grace, not the retry budget")
	assert.EqualValues(t, 1, d.stats.Dropped.Load(), "the held digest is counted as dropped")
}
