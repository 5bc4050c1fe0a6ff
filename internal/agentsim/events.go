// Package agentsim writes MultiAgents framework traffic exactly as the framework puts it on the
// wire (see docs/framework-wire-format.md): one JSON object per message, naive UTC
// timestamps, correlation ids, the real channel names. End-to-end tests and load runs use it to
// stand in for a framework deployment; it shares no code with the receiver's decoder on purpose.
package agentsim

import (
	"crypto/rand"
	"encoding/hex"
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
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// The events are encoded from structs, whose fields keep the order in which the framework's
// Python dicts put them on the wire (id, type, metadata, payload, then the kind's own fields);
// it is also several times cheaper than encoding maps, which load runs notice.

type metadata struct {
	TransactionID string `json:"transaction_id"`
	CorrelationID string `json:"correlation_id"`
	Timestamp     string `json:"timestamp"`
	Source        string `json:"source"`
	Version       string `json:"version"`
}

// empty encodes as {}.
type empty struct{}

type statusPayload struct {
	WorkflowID  string  `json:"workflow_id"`
	CurrentStep *string `json:"current_step"`
	StepResults empty   `json:"step_results"`
}

type statusEvent struct {
	ID       string        `json:"id"`
	Type     string        `json:"type"`
	Metadata metadata      `json:"metadata"`
	Payload  statusPayload `json:"payload"`
	Status   string        `json:"status"`
	Progress *float64      `json:"progress"`
	Message  string        `json:"message"`
}

type commandEvent struct {
	ID             string         `json:"id"`
	Type           string         `json:"type"`
	Metadata       metadata       `json:"metadata"`
	Payload        map[string]any `json:"payload"`
	WorkerType     string         `json:"worker_type"`
	TimeoutSeconds int            `json:"timeout_seconds"`
	RetryPolicy    *empty         `json:"retry_policy"`
}

type errorDetails struct {
	ErrorType string `json:"error_type"`
}

type resultEvent struct {
	ID           string        `json:"id"`
	Type         string        `json:"type"`
	Metadata     metadata      `json:"metadata"`
	Payload      empty         `json:"payload"`
	CommandID    string        `json:"command_id"`
	Success      bool          `json:"success"`
	ErrorMessage *string       `json:"error_message"`
	ErrorDetails *errorDetails `json:"error_details"`
}

type compensationEvent struct {
	ID                string   `json:"id"`
	Type              string   `json:"type"`
	Metadata          metadata `json:"metadata"`
	Payload           empty    `json:"payload"`
	OriginalCommandID string   `json:"original_command_id"`
	CompensationType  string   `json:"compensation_type"`
}

func (w *Workflow) metadata(correlationID, source string) metadata {
	return metadata{
		TransactionID: w.TxID,
		CorrelationID: correlationID,
		Timestamp:     Timestamp(w.Now()),
		Source:        source,
		Version:       "1.0",
	}
}

func (w *Workflow) message(channel string, event any) Message {
	body, err := json.Marshal(event)
	if err != nil {
		panic(err) // only the event structs above, with plain payload values, are marshalled here
	}
	return Message{Channel: w.Prefix + channel, Body: body}
}

// Status is a workflow status event ("running"/"Workflow started", "completed"/"Workflow completed",
// "compensated"/"Workflow compensated" or "Workflow cancelled").
func (w *Workflow) Status(status, message, currentStep string) Message {
	var step *string
	if currentStep != "" {
		step = &currentStep
	}
	return w.message("status.workflow", statusEvent{
		ID:       NewUUID(),
		Type:     "status",
		Metadata: w.metadata(w.TxID, w.WorkflowID),
		Payload:  statusPayload{WorkflowID: w.WorkflowID, CurrentStep: step},
		Status:   status,
		Message:  message,
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

// Cancelled follows Compensated when the run was cancelled rather than failed.
func (w *Workflow) Cancelled() Message {
	return w.Status("cancelled", "Workflow cancelled", "")
}

// Command asks a worker to run one step; it returns the message and the command id results refer to.
func (w *Workflow) Command(workerType string, timeoutSeconds int, payload map[string]any) (Message, string) {
	id := NewUUID()
	if payload == nil {
		payload = map[string]any{}
	}
	return w.message("command."+workerType, commandEvent{
		ID:             id,
		Type:           "command",
		Metadata:       w.metadata(w.TxID+"."+workerType, w.WorkflowID),
		Payload:        payload,
		WorkerType:     workerType,
		TimeoutSeconds: timeoutSeconds,
	}), id
}

// Result is a worker's answer to a command. A failure carries the framework's WorkerException shape.
func (w *Workflow) Result(workerType, commandID string, success bool, errMessage string) Message {
	ev := resultEvent{
		ID:        NewUUID(),
		Type:      "result",
		Metadata:  w.metadata(w.TxID+"."+workerType, workerType),
		CommandID: commandID,
		Success:   success,
	}
	if !success {
		msg := fmt.Sprintf("Worker %s failed: %s", workerType, errMessage)
		ev.ErrorMessage = &msg
		ev.ErrorDetails = &errorDetails{ErrorType: "WorkerException"}
	}
	return w.message("result."+workerType, ev)
}

// Compensation undoes the completed step whose command id was originalCommandID.
func (w *Workflow) Compensation(step, compensationType, originalCommandID string) Message {
	return w.message("compensation."+compensationType, compensationEvent{
		ID:                NewUUID(),
		Type:              "compensation",
		Metadata:          w.metadata(w.TxID+".comp."+step, w.WorkflowID),
		OriginalCommandID: originalCommandID,
		CompensationType:  compensationType,
	})
}
