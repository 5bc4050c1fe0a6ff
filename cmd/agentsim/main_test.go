package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
)

func TestParseFlagsDefaults(t *testing.T) {
	t.Setenv("REDIS_ENDPOINT", "")
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "localhost:6379", o.redisAddr)
	assert.Equal(t, agentsim.DefaultSteps, o.scenario.Steps)
	assert.Equal(t, "multiagent:", o.scenario.Prefix)
	assert.Equal(t, 10.0, o.load.Rate)
	assert.Equal(t, time.Minute, o.load.Duration)
	assert.Equal(t, 8*time.Second, o.load.Drain, "slow-duration + 2s")
	assert.False(t, o.seedSet)
	assert.Empty(t, o.scenario.Rates)
}

func TestParseFlagsScenario(t *testing.T) {
	t.Setenv("REDIS_ENDPOINT", "redis.internal:6380")
	o, err := parseFlags([]string{
		"--steps", "reserve_seat, charge_card,issue_ticket",
		"--fail", "charge=0.1", "--fail", "issue_ticket=2%",
		"--timeout", "charge=0.01", "--slow", "reserve=0.05", "--slow-duration", "9s",
		"--phase", "60s:charge=0.6", "--phase", "90s:charge=0",
		"--compensate", "charge=refund_card,reserve_seat=",
		"--rate", "25", "--duration", "100s", "--workflows", "500", "--seed", "7", "--drain", "1s",
		"--prefix", "test_multiagent:",
	}, io.Discard)
	require.NoError(t, err)
	s := o.scenario
	assert.Equal(t, "redis.internal:6380", o.redisAddr, "REDIS_ENDPOINT is the default")
	assert.Equal(t, []string{"reserve_seat", "charge_card", "issue_ticket"}, s.Steps)
	assert.Equal(t, map[string]agentsim.Rates{
		"charge_card":  {Fail: 0.1, Timeout: 0.01},
		"issue_ticket": {Fail: 0.02},
		"reserve_seat": {Slow: 0.05},
	}, s.Rates)
	assert.Equal(t, []agentsim.Phase{
		{At: time.Minute, Kind: agentsim.KindFail, Worker: "charge_card", Rate: 0.6},
		{At: 90 * time.Second, Kind: agentsim.KindFail, Worker: "charge_card", Rate: 0},
	}, s.Phases)
	assert.Equal(t, "refund_card", s.Compensation("charge_card"))
	assert.Equal(t, "", s.Compensation("reserve_seat"))
	assert.Equal(t, "undo_issue_ticket", s.Compensation("issue_ticket"))
	assert.Equal(t, 9*time.Second, s.SlowDuration)
	assert.Equal(t, "test_multiagent:", s.Prefix)
	assert.Equal(t, agentsim.Load{Rate: 25, Duration: 100 * time.Second, Workflows: 500, Drain: time.Second, MaxInFlight: 10000, Seed: 7}, o.load)
	assert.True(t, o.seedSet)
}

func TestBadFlagsNameTheFlag(t *testing.T) {
	for want, args := range map[string][]string{
		"--fail: \"billing\" is not one of the workers": {"--fail", "billing=0.1"},
		"--timeout: \"payment\" is not worker=rate":     {"--timeout", "payment"},
		"--phase \"soon:payment=1\": offset":            {"--phase", "soon:payment=1"},
		"--compensate: \"charge\" is not worker=name":   {"--compensate", "charge"},
		"--compensate: \"billing\" is not one":          {"--compensate", "billing=x"},
		"rate: -1 workflows/s must be positive":         {"--rate", "-1"},
		"duration: must be positive":                    {"--duration", "0s"},
		"progress: must not be negative":                {"--progress", "-1s"},
		"batch: must be positive":                       {"--batch", "0"},
		"phase 20s:fail:process_payment=0.8: fail + timeout + slow = 1.3 exceeds 1": {
			"--timeout", "payment=0.5", "--phase", "20s:payment=0.8",
		},
		"unexpected argument \"extra\"": {"extra"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), args, io.Discard, &stderr)
		assert.Equal(t, 2, code, "%v", args)
		assert.Contains(t, stderr.String(), want, "%v", args)
	}
	var stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"--help"}, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "--phase 20s:payment=0.8")
}

var summaryEvents = regexp.MustCompile(`events +published (\d+) `)

func TestRunPublishesOnRedisAndSummarises(t *testing.T) {
	srv := testredis.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer sub.Close()
	ps := sub.PSubscribe(ctx, "multiagent:*")
	defer ps.Close()
	_, err := ps.Receive(ctx)
	require.NoError(t, err)

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{
		"--redis", srv.Addr, "--workflows", "20", "--rate", "200", "--duration", "10s",
		"--fail", "payment=1", "--step-latency", "1ms", "--progress", "0", "--seed", "3",
	}, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	out := stdout.String()
	assert.Contains(t, out, "started 20 ")
	assert.Contains(t, out, "completed 0, failed 20,")
	assert.Contains(t, out, "by worker  process_payment: 20 failed")
	assert.Contains(t, out, "seed 3")
	m := summaryEvents.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	published, _ := strconv.Atoi(m[1])
	// Per workflow: started, 3 commands, 3 results, one compensation (release_inventory: validate_order
	// has none and process_payment is the step that failed), compensated.
	assert.Equal(t, 20*9, published)

	channels := map[string]int{}
	for i := 0; i < published; i++ {
		select {
		case msg := <-ps.Channel():
			channels[msg.Channel]++
		case <-ctx.Done():
			t.Fatalf("received %d of %d", i, published)
		}
	}
	assert.Equal(t, map[string]int{
		"multiagent:status.workflow":                40,
		"multiagent:command.validate_order":         20,
		"multiagent:result.validate_order":          20,
		"multiagent:command.check_inventory":        20,
		"multiagent:result.check_inventory":         20,
		"multiagent:command.process_payment":        20,
		"multiagent:result.process_payment":         20,
		"multiagent:compensation.release_inventory": 20,
	}, channels)
}

func TestRunWithoutRedisFailsClearly(t *testing.T) {
	srv := testredis.Start(t)
	addr := srv.Addr
	srv.Stop()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--redis", addr, "--duration", "1s"}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "Redis at "+addr+" does not answer")
}

func TestRunPushesOverHTTP(t *testing.T) {
	var mu sync.Mutex
	events := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var arr []json.RawMessage
		if r.URL.Path != "/v1/events" || json.NewDecoder(r.Body).Decode(&arr) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		events += len(arr)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"accepted":`+strconv.Itoa(len(arr))+`,"rejected":0}`)
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{
		"--http", srv.URL, "--workflows", "10", "--rate", "500", "--step-latency", "1ms", "--progress", "0",
	}, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	assert.Contains(t, stdout.String(), "HTTP "+srv.URL+"/v1/events")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 100, events, "10 workflows of 10 events")
}

func TestRunCountsUndeliveredEvents(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	var stdout bytes.Buffer
	code := run(context.Background(), []string{
		"--http", srv.URL, "--workflows", "3", "--rate", "100", "--step-latency", "0s", "--progress", "0",
	}, &stdout, io.Discard)
	assert.Equal(t, 1, code)
	out := stdout.String()
	assert.Contains(t, out, "publish error: http push: 503")
	assert.Equal(t, 1, strings.Count(out, "publish error"), "a repeated error is shown once")
	assert.Contains(t, out, "not delivered 30")
}

func TestProgressLines(t *testing.T) {
	srv := testredis.Start(t)
	var stdout bytes.Buffer
	code := run(context.Background(), []string{
		"--redis", srv.Addr, "--rate", "50", "--duration", "1200ms", "--progress", "500ms",
		"--phase", "600ms:payment=0.5", "--step-latency", "1ms",
	}, &stdout, io.Discard)
	require.Equal(t, 0, code, stdout.String())
	out := stdout.String()
	assert.Regexp(t, `\[ +0s\] started \d+  completed \d+  failed \d+  timed out \d+  in flight \d+ \| [\d.]+ workflows/s  \d+ events/s`, out)
	assert.Contains(t, out, "phase: process_payment fail rate 0 → 0.5")
	assert.Contains(t, out, "agentsim: summary after")
}

func TestScenarioFlag(t *testing.T) {
	o, err := parseFlags([]string{"--scenario", "trustworthy", "--seed", "5", "--prefix", "test_multiagent:", "--step-latency", "1ms"}, io.Discard)
	require.NoError(t, err)
	require.NotNil(t, o.mix)
	assert.Equal(t, "trustworthy", o.mix.Name)
	assert.True(t, o.seedSet)
	for i, st := range o.mix.Streams {
		assert.Equal(t, uint64(5+i), st.Load.Seed, "each workflow its own seed, from --seed")
		assert.Equal(t, "test_multiagent:", st.Scenario.Prefix)
		assert.Equal(t, time.Millisecond, st.Scenario.StepLatency)
	}

	o, err = parseFlags([]string{"--scenario", "trustworthy", "--time-scale", "20"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 40*time.Minute, o.mix.TrafficEnds(), "2 minutes stretched 20 times")

	for want, args := range map[string][]string{
		"--rate cannot be combined with --scenario":       {"--scenario", "trustworthy", "--rate", "5"},
		"--fail cannot be combined with --scenario":       {"--scenario", "trustworthy", "--fail", "x=1"},
		"scenario: \"nightly\" is not one of trustworthy": {"--scenario", "nightly"},
		"time-scale: only with --scenario":                {"--time-scale", "2"},
		"time-scale: 0 must be a positive number":         {"--scenario", "trustworthy", "--time-scale", "0"},
	} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), args, io.Discard, &stderr), "%v", args)
		assert.Contains(t, stderr.String(), want, "%v", args)
	}
}

var workerRow = regexp.MustCompile(`(?m)^    (\S+) +(\d+) +(\d+) +(\d+)$`)

// The trustworthy scenario, 50 times faster than its test runs it, on a real Redis: the summary
// gives the exact per-worker counts, and they are what was published.
func TestScenarioRunPrintsExactCountsPerWorker(t *testing.T) {
	srv := testredis.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sub := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer sub.Close()
	ps := sub.PSubscribe(ctx, "multiagent:command.*")
	defer ps.Close()
	_, err := ps.Receive(ctx)
	require.NoError(t, err)
	commands := map[string]int{}
	var mu sync.Mutex
	go func() {
		for msg := range ps.Channel() {
			mu.Lock()
			commands[strings.TrimPrefix(msg.Channel, "multiagent:command.")]++
			mu.Unlock()
		}
	}()

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"--redis", srv.Addr, "--scenario", "trustworthy", "--time-scale", "0.02",
		"--seed", "9", "--progress", "0", "--step-latency", "1ms"}, &stdout, &stderr)
	out := stdout.String()
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr.String())
	assert.Contains(t, out, "agentsim: scenario trustworthy: issue 11")
	assert.Contains(t, out, "agentsim: workflow order_processing: validate_order → reserve_inventory → charge_payment → ship_order, 50/s from 0s for 2.4s")
	assert.Contains(t, out, "agentsim: at 200ms: incident a: charge_payment fails every step")
	assert.Contains(t, out, "by worker  build_report: 1 failed; charge_payment: 15 failed; email_sender: 10 timed out; push_sender: 10 timed out; sms_sender: 10 timed out")

	rows := map[string][3]int{}
	for _, m := range workerRow.FindAllStringSubmatch(out, -1) {
		var n [3]int
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+2])
		}
		rows[m[1]] = n
	}
	assert.Equal(t, map[string][3]int{
		"validate_order": {120, 0, 0}, "reserve_inventory": {120, 0, 0}, "charge_payment": {120, 15, 0}, "ship_order": {105, 0, 0},
		"build_report": {39, 1, 0}, "email_sender": {119, 0, 10}, "sms_sender": {119, 0, 10}, "push_sender": {119, 0, 10},
	}, rows, out)
	require.True(t, assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return commands["ship_order"] == 105 && commands["email_sender"] == 119
	}, 10*time.Second, 20*time.Millisecond), "commands seen on the bus: %v", commands)
}
