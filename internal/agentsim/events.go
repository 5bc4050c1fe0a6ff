// Package agentsim writes MultiAgents framework traffic exactly as the framework puts it on the
// wire (see shared/docs/framework-wire-format.md): one JSON object per message, naive UTC
// timestamps, correlation ids, the real channel names. End-to-end tests and load runs use it to
// stand in for a framework deployment; it shares no code with the receiver's decoder on purpose.
package agentsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// Message is one Pub/Sub message: the channel and the JSON body.
type Message struct {
	Channel string
	Body    []byte
}

// Workflow is one workflow run (one transaction) of a framework orchestrator.
type Workflow struct {
	// Prefix is the channel prefix, "multiagent:" by default in the framework.
	Prefix     string
	WorkflowID string
	TxID       string
	// Now stamps events; tests may replace it.
	Now func() time.Time
}

// NewWorkflow starts a run of workflowID with a fresh uuid4 transaction id.
func NewWorkflow(prefix, workflowID string) *Workflow {
	return &Workflow{Prefix: prefix, WorkflowID: workflowID, TxID: NewUUID(), Now: time.Now}
}

// Timestamp formats t as Python's naive datetime.isoformat() does: no zone, and no fraction
// when the microseconds are zero.
func Timestamp(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}

// NewUUID returns a random RFC 4122 version 4 UUID.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (w *Workflow) metadata(correlationID, source string) map[string]any {
	return map[string]any{
		"transaction_id": w.TxID,
		"correlation_id": correlationID,
		"timestamp":      Timestamp(w.Now()),
		"source":         source,
		"version":        "1.0",
	}
}

func (w *Workflow) message(channel string, event map[string]any) Message {
	body, err := json.Marshal(event)
	if err != nil {
		panic(err) // only maps of plain values are marshalled here
	}
	return Message{Channel: w.Prefix + channel, Body: body}
}

// Status is a workflow status event ("running"/"Workflow started", "completed"/"Workflow completed",
// "compensated"/"Workflow compensated" or "Workflow cancelled").
func (w *Workflow) Status(status, message, currentStep string) Message {
	var step any
	if currentStep != "" {
		step = currentStep
	}
	return w.message("status.workflow", map[string]any{
		"id":       NewUUID(),
		"type":     "status",
		"metadata": w.metadata(w.TxID, w.WorkflowID),
		"payload":  map[string]any{"workflow_id": w.WorkflowID, "current_step": step, "step_results": map[string]any{}},
		"status":   status,
		"progress": nil,
		"message":  message,
	})
}

// Started is the orchestrator's first event of a run.
func (w *Workflow) Started() Message { return w.Status("running", "Workflow started", "") }

// Completed ends a successful run.
func (w *Workflow) Completed() Message { return w.Status("completed", "Workflow completed", "") }

// Compensated ends a failed run.
func (w *Workflow) Compensated() Message {
	return w.Status("compensated", "Workflow compensated", "")
}

// Command asks a worker to run one step; it returns the message and the command id results refer to.
func (w *Workflow) Command(workerType string, timeoutSeconds int, payload map[string]any) (Message, string) {
	id := NewUUID()
	if payload == nil {
		payload = map[string]any{}
	}
	return w.message("command."+workerType, map[string]any{
		"id":              id,
		"type":            "command",
		"metadata":        w.metadata(w.TxID+"."+workerType, w.WorkflowID),
		"payload":         payload,
		"worker_type":     workerType,
		"timeout_seconds": timeoutSeconds,
		"retry_policy":    nil,
	}), id
}

// Result is a worker's answer to a command. A failure carries the framework's WorkerException shape.
func (w *Workflow) Result(workerType, commandID string, success bool, errMessage string) Message {
	var msg, details any
	if !success {
		msg = fmt.Sprintf("Worker %s failed: %s", workerType, errMessage)
		details = map[string]any{"error_type": "WorkerException"}
	}
	return w.message("result."+workerType, map[string]any{
		"id":            NewUUID(),
		"type":          "result",
		"metadata":      w.metadata(w.TxID+"."+workerType, workerType),
		"payload":       map[string]any{},
		"command_id":    commandID,
		"success":       success,
		"error_message": msg,
		"error_details": details,
	})
}

// Compensation undoes the completed step whose command id was originalCommandID.
func (w *Workflow) Compensation(step, compensationType, originalCommandID string) Message {
	return w.message("compensation."+compensationType, map[string]any{
		"id":                  NewUUID(),
		"type":                "compensation",
		"metadata":            w.metadata(w.TxID+".comp."+step, w.WorkflowID),
		"payload":             map[string]any{},
		"original_command_id": originalCommandID,
		"compensation_type":   compensationType,
	})
}
