package alertprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

// fakeSilencer silences the label sets for which match is true, and records what it was asked.
type fakeSilencer struct {
	mu    sync.Mutex
	match func(labels map[string]string) bool
	asked []map[string]string
}

func (f *fakeSilencer) Silenced(labels map[string]string, _ time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, labels)
	if f.match != nil && f.match(labels) {
		return []string{"s1"}
	}
	return nil
}

func (f *fakeSilencer) set(match func(map[string]string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.match, f.asked = match, nil
}

func (f *fakeSilencer) lastAsked() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked
}

func (f *fakeSilencer) Start(context.Context, component.Host) error { return nil }
func (f *fakeSilencer) Shutdown(context.Context) error              { return nil }

var silencesID = component.MustNewID("silences")

func worker1(labels map[string]string) bool { return labels["worker_name"] == "w1" }

// A silence mutes firing instances only, from the next evaluation on, before inhibition; when
// it ends the instance is written firing again.
func TestSilencedStateMachine(t *testing.T) {
	errorsRule := workerErrorsRule()
	errorsRule.Labels = map[string]string{"team.name": "payments"}
	cfg := configWith(outageRule(), errorsRule)
	cfg.Silences = &silencesID
	cfg.InhibitRules = []InhibitRule{{SourceMatchers: []string{`alertname="outage"`}, TargetMatchers: []string{`alertname="worker_errors"`}}}
	h := newHarness(t, cfg)
	silencer := &fakeSilencer{match: worker1}
	require.NoError(t, h.proc.Start(context.Background(), notifytest.Host{silencesID: silencer}))
	t.Cleanup(func() { require.NoError(t, h.proc.Shutdown(context.Background())) })

	both := []string{"w1", "w2"}
	steps := []struct {
		in                 signals
		silence            func(map[string]string) bool
		errW1, errW2       string
		silencedN, firingN int64
	}{
		{signals{errors: both}, worker1, "pending", "pending", 0, 0}, // pending is never silenced
		{signals{errors: both}, worker1, "pending", "pending", 0, 0},
		{signals{errors: both}, worker1, "silenced", "firing", 1, 1},
		{signals{errors: both, outage: true}, worker1, "silenced", "inhibited", 1, 1}, // silenced wins over inhibited
		{signals{errors: both}, nil, "firing", "firing", 0, 2},                        // the silence ended
		{signals{errors: both}, func(map[string]string) bool { return true }, "silenced", "silenced", 2, 0},
		{signals{}, func(map[string]string) bool { return true }, "resolved", "resolved", 0, 0}, // resolved is never silenced
	}
	for i, st := range steps {
		silencer.set(st.silence)
		h.push(st.in.metrics().build())
		points := h.step(15 * time.Second)
		assert.Equal(t, st.errW1, stateOf(points, "worker_errors", w1), "step %d: worker_errors{w1}", i)
		assert.Equal(t, st.errW2, stateOf(points, "worker_errors", w2), "step %d: worker_errors{w2}", i)
		assert.Equal(t, st.silencedN, h.instancesGauge("silenced"), "step %d: instances gauge silenced", i)
		assert.Equal(t, st.firingN, h.instancesGauge("firing"), "step %d: instances gauge firing", i)
		if st.errW1 == "pending" {
			assert.Empty(t, silencer.lastAsked(), "step %d: only firing instances are asked about", i)
		}
		if i == 2 {
			// The label set of the contract: names mapped for Alertmanager, static labels included.
			assert.Contains(t, silencer.lastAsked(), map[string]string{
				"alertname": "worker_errors", "severity": "warning", "worker_name": "w1", "team_name": "payments",
			})
		}
	}
}

// The silences key names an extension that must exist and be a silences extension.
func TestSilencesKeyNeedsASilencesExtension(t *testing.T) {
	cfg := configWith(outageRule())
	cfg.Silences = &silencesID
	h := newHarness(t, cfg)
	err := h.proc.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, `silences: extension "silences" not found`)

	nop, err := extensiontest.NewNopFactory().Create(context.Background(), extensiontest.NewNopSettings(extensiontest.NopType), nil)
	require.NoError(t, err)
	err = h.proc.Start(context.Background(), notifytest.Host{silencesID: nop})
	require.ErrorContains(t, err, `silences: extension "silences" is not a silences extension`)
}

// With the real extension: a silence set through its API (as amtool does) mutes the matching
// instance at the next evaluation, and expiring it (DELETE) unmutes it at the next one.
func TestSilencesFromTheRealExtension(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := ln.Addr().String()
	require.NoError(t, ln.Close())

	factory := silencesextension.NewFactory()
	extCfg := factory.CreateDefaultConfig().(*silencesextension.Config)
	extCfg.NetAddr.Endpoint = endpoint
	ext, err := factory.Create(context.Background(), extensiontest.NewNopSettings(factory.Type()), extCfg)
	require.NoError(t, err)
	host := notifytest.Host{silencesID: ext}
	require.NoError(t, ext.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })

	cfg := configWith(workerDownRule(0, 0))
	cfg.Silences = &silencesID
	// The silence's times are the extension's (wall clock): run the processor's clock just after.
	h := newHarnessWithClock(t, cfg, newFakeClock(time.Now().Add(time.Minute)))
	require.NoError(t, h.proc.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, h.proc.Shutdown(context.Background())) })

	down := signals{down: []string{"w1", "w2"}}
	h.push(down.metrics().build())
	points := h.step(15 * time.Second)
	require.Equal(t, "firing", stateOf(points, "worker_down", w1))

	body, err := json.Marshal(map[string]any{
		"matchers": []map[string]any{{"name": "worker_name", "value": "w1", "isRegex": false, "isEqual": true},
			{"name": "alertname", "value": "worker_.*", "isRegex": true}},
		"startsAt": time.Now().UTC(), "endsAt": time.Now().Add(time.Hour).UTC(),
		"createdBy": "test", "comment": "maintenance of w1",
	})
	require.NoError(t, err)
	resp, err := http.Post("http://"+endpoint+"/api/v2/silences", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	var created struct{ SilenceID string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	h.push(down.metrics().build())
	points = h.step(15 * time.Second)
	assert.Equal(t, "silenced", stateOf(points, "worker_down", w1))
	assert.Equal(t, "firing", stateOf(points, "worker_down", w2), "the silence matches worker_name=w1 only")

	req, err := http.NewRequest(http.MethodDelete, fmt.Sprintf("http://%s/api/v2/silence/%s", endpoint, created.SilenceID), nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	h.push(down.metrics().build())
	points = h.step(15 * time.Second)
	assert.Equal(t, "firing", stateOf(points, "worker_down", w1), "expired: firing again at the next evaluation")
}
