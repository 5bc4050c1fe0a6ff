package collectortest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
)

// SagaPublisher publishes agentsim's messages on Redis as RedisPublisher does, and before each one
// writes the transaction's saga key (saga:<transaction_id>) as the framework's orchestrator keeps
// it: state, created_at/updated_at and execution_history. agentsim publishes events only; the
// receiver's reconcile (restarts, partitions) reads the sagas, so tests of continuity need both.
// Sagas of ended transactions are forgotten once written, so memory holds only open ones.
type SagaPublisher struct {
	client *redis.Client
	mu     sync.Mutex
	open   map[string]*saga
}

type sagaStep struct {
	StepName    string  `json:"step_name"`
	Status      string  `json:"status"`
	StartedAt   string  `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Error       *string `json:"error"`
	CommandID   string  `json:"command_id"`
}

type saga struct {
	TransactionID    string      `json:"transaction_id"`
	WorkflowID       string      `json:"workflow_id"`
	State            string      `json:"state"`
	CurrentStep      *string     `json:"current_step"`
	ExecutionHistory []*sagaStep `json:"execution_history"`
	CreatedAt        string      `json:"created_at"`
	UpdatedAt        string      `json:"updated_at"`
}

// wireEvent is what the saga needs of any event on the bus.
type wireEvent struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Metadata struct {
		TransactionID string `json:"transaction_id"`
		Timestamp     string `json:"timestamp"`
		Source        string `json:"source"`
	} `json:"metadata"`
	Status       string  `json:"status"`
	WorkerType   string  `json:"worker_type"`
	CommandID    string  `json:"command_id"`
	Success      bool    `json:"success"`
	ErrorMessage *string `json:"error_message"`
}

// sagaTTL is the framework's: sagas live for 7 days.
const sagaTTL = 7 * 24 * time.Hour

// NewSagaPublisher connects to the Redis at addr.
func NewSagaPublisher(addr string) *SagaPublisher {
	return &SagaPublisher{
		client: redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second, MaxRetries: 1}),
		open:   map[string]*saga{},
	}
}

// Publish writes each message's saga change and publishes the message, in order, in one pipeline.
func (p *SagaPublisher) Publish(ctx context.Context, batch []agentsim.Message) (int, error) {
	if len(batch) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pipe := p.client.Pipeline()
	for _, m := range batch {
		if key, value, ok := p.apply(m); ok {
			pipe.Set(ctx, key, value, sagaTTL)
		}
		pipe.Publish(ctx, m.Channel, m.Body)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return len(batch), fmt.Errorf("redis publish: %w", err)
	}
	return 0, nil
}

// apply updates the transaction's saga with one event and returns the key and JSON to write.
func (p *SagaPublisher) apply(m agentsim.Message) (string, []byte, bool) {
	var ev wireEvent
	if err := json.Unmarshal(m.Body, &ev); err != nil || ev.Metadata.TransactionID == "" {
		return "", nil, false
	}
	tx := ev.Metadata.TransactionID
	s := p.open[tx]
	if s == nil {
		s = &saga{TransactionID: tx, WorkflowID: ev.Metadata.Source, State: "running", CreatedAt: ev.Metadata.Timestamp}
		p.open[tx] = s
	}
	s.UpdatedAt = ev.Metadata.Timestamp
	switch ev.Type {
	case "status":
		switch ev.Status {
		case "completed", "compensated", "cancelled", "failed":
			s.State = ev.Status
			delete(p.open, tx)
		}
	case "command":
		s.ExecutionHistory = append(s.ExecutionHistory, &sagaStep{
			StepName: ev.WorkerType, Status: "running", StartedAt: ev.Metadata.Timestamp, CommandID: ev.ID,
		})
	case "result":
		for _, st := range s.ExecutionHistory {
			if st.CommandID == ev.CommandID {
				st.Status = "completed"
				if !ev.Success {
					st.Status = "failed"
					st.Error = ev.ErrorMessage
				}
				at := ev.Metadata.Timestamp
				st.CompletedAt = &at
			}
		}
	case "compensation":
		s.State = "compensating"
	default:
		return "", nil, false
	}
	body, err := json.Marshal(s)
	if err != nil {
		return "", nil, false
	}
	return "saga:" + tx, body, true
}

// Open is how many transactions have a saga that has not ended.
func (p *SagaPublisher) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.open)
}

// Close closes the connection pool.
func (p *SagaPublisher) Close() error { return p.client.Close() }
