package agentsim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
)

type wireEvent struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Metadata struct {
		TransactionID string `json:"transaction_id"`
		CorrelationID string `json:"correlation_id"`
		Timestamp     string `json:"timestamp"`
		Source        string `json:"source"`
		Version       string `json:"version"`
	} `json:"metadata"`
	WorkerType        string `json:"worker_type"`
	CommandID         string `json:"command_id"`
	Success           *bool  `json:"success"`
	OriginalCommandID string `json:"original_command_id"`
	CompensationType  string `json:"compensation_type"`
	Status            string `json:"status"`
	Message           string `json:"message"`
}

type received struct {
	channel string
	ev      wireEvent
}

// checkTransaction asserts that one transaction's messages, in arrival order, follow the
// framework's life cycle, and returns how it ended.
func checkTransaction(t *testing.T, scenario *Scenario, msgs []received) Outcome {
	t.Helper()
	require.NotEmpty(t, msgs)
	tx := msgs[0].ev.Metadata.TransactionID
	first := msgs[0]
	require.Equal(t, "multiagent:status.workflow", first.channel)
	require.Equal(t, "Workflow started", first.ev.Message)
	var completedCommands []received // commands whose step succeeded, in order
	var pending *received
	for i := 1; i < len(msgs); i++ {
		m := msgs[i]
		assert.Equal(t, tx, m.ev.Metadata.TransactionID)
		assert.Equal(t, "1.0", m.ev.Metadata.Version)
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$`, m.ev.Metadata.Timestamp, "naive ISO-8601")
		kind, name, _ := strings.Cut(strings.TrimPrefix(m.channel, "multiagent:"), ".")
		assert.Equal(t, kind, m.ev.Type)
		switch kind {
		case "command":
			require.Nil(t, pending, "a command before the previous step's result")
			assert.Equal(t, name, m.ev.WorkerType)
			assert.Equal(t, tx+"."+name, m.ev.Metadata.CorrelationID)
			pending = &msgs[i]
		case "result":
			require.NotNil(t, pending, "a result without a command")
			assert.Equal(t, pending.ev.ID, m.ev.CommandID)
			assert.Equal(t, name, m.ev.Metadata.Source)
			require.NotNil(t, m.ev.Success)
			if *m.ev.Success {
				completedCommands = append(completedCommands, *pending)
				pending = nil
				continue
			}
			// Failure: compensations newest first, then "compensated", and nothing else.
			rest := msgs[i+1:]
			var want []received
			for j := len(completedCommands) - 1; j >= 0; j-- {
				if scenario.Compensation(completedCommands[j].ev.WorkerType) != "" {
					want = append(want, completedCommands[j])
				}
			}
			require.Len(t, rest, len(want)+1, "compensations and the final status")
			for j, c := range want {
				assert.Equal(t, "multiagent:compensation."+scenario.Compensation(c.ev.WorkerType), rest[j].channel)
				assert.Equal(t, c.ev.ID, rest[j].ev.OriginalCommandID, "compensation %d undoes the newest step not yet undone", j)
				assert.Equal(t, tx+".comp."+c.ev.WorkerType, rest[j].ev.Metadata.CorrelationID)
			}
			assert.Equal(t, "compensated", rest[len(rest)-1].ev.Status)
			return OutcomeFailed
		case "status":
			require.Nil(t, pending)
			assert.Equal(t, i, len(msgs)-1, "the final status ends the transaction")
			assert.Equal(t, "completed", m.ev.Status)
			assert.Len(t, completedCommands, len(scenario.Steps))
			return OutcomeCompleted
		default:
			t.Fatalf("unexpected channel %s", m.channel)
		}
	}
	require.NotNil(t, pending, "a transaction without an end must be waiting on a command")
	return OutcomeTimedOut
}

func TestRedisPublisherOnARealServer(t *testing.T) {
	srv := testredis.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	sub := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer sub.Close()
	ps := sub.PSubscribe(ctx, "multiagent:*")
	defer ps.Close()
	_, err := ps.Receive(ctx) // the subscription confirmation: from here on nothing is missed
	require.NoError(t, err)

	scenario := NewScenario()
	scenario.StepLatency = time.Millisecond
	scenario.Rates["process_payment"] = Rates{Fail: 0.3, Timeout: 0.1}
	scenario.Rates["ship_order"] = Rates{Fail: 0.1}
	l := Load{Rate: 500, Duration: 200 * time.Millisecond, Drain: 2 * time.Second, MaxInFlight: 1000, Seed: 11}
	r, err := NewRunner(scenario, l, time.Now())
	require.NoError(t, err)
	pub := NewRedisPublisher(srv.Addr, "")
	defer pub.Close()
	require.NoError(t, pub.Ping(ctx))
	require.NoError(t, r.Run(ctx, pub, RunOptions{MaxBatch: 50}))
	st := r.Stats().Snapshot()
	require.EqualValues(t, 100, st.Started)
	require.Zero(t, st.PublishErrors)

	byTx := map[string][]received{}
	var order []string
	ch := ps.Channel()
	for i := int64(0); i < st.Events; i++ {
		select {
		case m := <-ch:
			var ev wireEvent
			require.NoError(t, json.Unmarshal([]byte(m.Payload), &ev), m.Payload)
			tx := ev.Metadata.TransactionID
			if _, ok := byTx[tx]; !ok {
				order = append(order, tx)
			}
			byTx[tx] = append(byTx[tx], received{channel: m.Channel, ev: ev})
		case <-ctx.Done():
			t.Fatalf("received %d of %d published messages", i, st.Events)
		}
	}
	select {
	case m := <-ch:
		t.Fatalf("more messages than published: %s", m.Channel)
	case <-time.After(200 * time.Millisecond):
	}

	outcomes := map[Outcome]int64{}
	for _, tx := range order {
		outcomes[checkTransaction(t, scenario, byTx[tx])]++
	}
	assert.Len(t, order, 100)
	assert.Equal(t, st.Completed, outcomes[OutcomeCompleted])
	assert.Equal(t, st.Failed, outcomes[OutcomeFailed])
	assert.Equal(t, st.TimedOut, outcomes[OutcomeTimedOut])
	assert.Positive(t, st.Failed)
	assert.Positive(t, st.TimedOut)
	assert.Positive(t, st.Completed)
}

func TestRedisPublisherReportsAnUnreachableServer(t *testing.T) {
	srv := testredis.Start(t)
	addr := srv.Addr
	srv.Stop()
	pub := NewRedisPublisher(addr, "")
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	assert.Error(t, pub.Ping(ctx))
	failed, err := pub.Publish(ctx, []Message{{Channel: "multiagent:status.workflow", Body: []byte(`{}`)}})
	assert.Error(t, err)
	assert.Equal(t, 1, failed)
}

func TestHTTPPublisherPostsAJSONArray(t *testing.T) {
	var bodies [][]json.RawMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/v1/events", r.URL.Path)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		body, _ := io.ReadAll(r.Body)
		var arr []json.RawMessage
		require.NoError(t, json.Unmarshal(body, &arr))
		bodies = append(bodies, arr)
		w.Header().Set("Content-Type", "application/json")
		if len(arr) == 3 {
			_, _ = io.WriteString(w, `{"accepted":2,"rejected":1,"errors":[{"index":1,"reason":"invalid_json"}]}`)
			return
		}
		_, _ = io.WriteString(w, `{"accepted":2,"rejected":0}`)
	}))
	defer srv.Close()

	pub, err := NewHTTPPublisher(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/v1/events", pub.URL())
	w := NewWorkflow("multiagent:", "wf")
	ctx := context.Background()
	failed, err := pub.Publish(ctx, []Message{w.Started(), w.Completed()})
	require.NoError(t, err)
	assert.Zero(t, failed)
	require.Len(t, bodies, 1)
	require.Len(t, bodies[0], 2)
	assert.Contains(t, string(bodies[0][0]), `"Workflow started"`)

	failed, err = pub.Publish(ctx, []Message{w.Started(), {Body: []byte(`{"type":"nonsense"}`)}, w.Completed()})
	assert.ErrorContains(t, err, "rejected 1 of 3")
	assert.Equal(t, 1, failed)
}

func TestHTTPPublisherReportsRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"message":"the pipeline refused the data; retry later"}`)
	}))
	defer srv.Close()
	pub, err := NewHTTPPublisher(srv.URL + "/custom/path")
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/custom/path", pub.URL())
	failed, err := pub.Publish(context.Background(), []Message{{Body: []byte(`{}`)}, {Body: []byte(`{}`)}})
	assert.ErrorContains(t, err, "503")
	assert.Equal(t, 2, failed)

	for _, bad := range []string{"localhost:4318", "ftp://host/x", "http://"} {
		_, err := NewHTTPPublisher(bad)
		assert.Error(t, err, bad)
	}
}
