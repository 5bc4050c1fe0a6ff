// Package eventcodec turns the MultiAgents framework's JSON events, as read from the Redis bus
// or pushed over HTTP, into Events: the strict single-pass reader (wirejson.go), the tolerance
// for Python's bare NaN/Infinity (tolerantjson.go) and the split of a push body into events
// (splitevents.go). It knows nothing of traces or metrics.
package eventcodec

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Kind is the framework's event "type".
type Kind uint8

const (
	KindCommand Kind = iota + 1
	KindResult
	KindError
	KindCompensation
	KindStatus
	KindCustom
)

// MetricName is the guide's event_type label value (Python class name).
func (k Kind) MetricName() string {
	switch k {
	case KindCommand:
		return "CommandEvent"
	case KindResult:
		return "ResultEvent"
	case KindError:
		return "ErrorEvent"
	case KindCompensation:
		return "CompensationEvent"
	case KindStatus:
		return "StatusEvent"
	case KindCustom:
		return "CustomEvent"
	}
	return "UnknownEvent"
}

func parseKind(s string) (Kind, bool) {
	switch s {
	case "command":
		return KindCommand, true
	case "result":
		return KindResult, true
	case "error":
		return KindError, true
	case "compensation":
		return KindCompensation, true
	case "status":
		return KindStatus, true
	case "custom":
		return KindCustom, true
	}
	return 0, false
}

// Reasons an event is rejected; each is a value of the decode_errors counter's reason attribute.
const (
	ReasonInvalidJSON          = "invalid_json"
	ReasonNotObject            = "not_an_object"
	ReasonWrongType            = "wrong_field_type"
	ReasonMissingType          = "missing_type"
	ReasonUnknownType          = "unknown_type"
	ReasonMissingTransactionID = "missing_transaction_id"
	ReasonMissingCommandID     = "missing_command_id"
	ReasonMissingEventName     = "missing_event_name"
	ReasonBadTimestamp         = "bad_timestamp"
)

// Error is a rejected event with the reason it was counted under.
type Error struct {
	Reason string // one of the Reason* constants
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Detail
}

// Event is one decoded framework (or custom business) event.
type Event struct {
	Kind          Kind
	ID            string
	TransactionID string
	CorrelationID string
	Source        string
	// Timestamp is the publisher's clock; zero when the event carried none.
	Timestamp time.Time
	Payload   json.RawMessage

	// command
	WorkerType     string
	TimeoutSeconds float64 // -1 when absent or null
	// result
	CommandID    string
	Success      bool
	ErrorMessage string
	ErrorDetails json.RawMessage
	// error
	ErrorCode json.RawMessage
	// compensation
	OriginalCommandID string
	CompensationType  string
	// status
	Status  string
	Message string
	// custom
	EventName string
}

// wireEvent mirrors what the framework publishes. Pointers tell absent from zero.
type wireEvent struct {
	ID       *string         `json:"id"`
	Type     *string         `json:"type"`
	Metadata *wireMetadata   `json:"metadata"`
	Payload  json.RawMessage `json:"payload"`

	WorkerType        *string         `json:"worker_type"`
	TimeoutSeconds    *float64        `json:"timeout_seconds"`
	CommandID         *string         `json:"command_id"`
	Success           *bool           `json:"success"`
	ErrorMessage      *string         `json:"error_message"`
	ErrorDetails      json.RawMessage `json:"error_details"`
	ErrorCode         json.RawMessage `json:"error_code"`
	OriginalCommandID *string         `json:"original_command_id"`
	CompensationType  *string         `json:"compensation_type"`
	Status            *string         `json:"status"`
	Message           *string         `json:"message"`

	// The guide's custom business events carry these at top level.
	EventName     *string         `json:"event_name"`
	TransactionID *string         `json:"transaction_id"`
	CorrelationID *string         `json:"correlation_id"`
	Timestamp     *string         `json:"timestamp"`
	Data          json.RawMessage `json:"data"`

	// values backs the pointer fields above when wirejson.go fills them, so a decode does not
	// allocate once per field (encoding/json, in the reference test, ignores it).
	values wireValues
}

// wireValues is where the pointer fields of a wireEvent point. A document that sets more
// fields than it has room for (repeated keys) spills to the heap.
type wireValues struct {
	strs   [24]string
	nStrs  int
	floats [2]float64
	nFloat int
	bools  [2]bool
	nBool  int
	meta   wireMetadata
}

func (v *wireValues) str(s string) *string     { return nextSlot(v.strs[:], &v.nStrs, s) }
func (v *wireValues) float(f float64) *float64 { return nextSlot(v.floats[:], &v.nFloat, f) }
func (v *wireValues) boolean(b bool) *bool     { return nextSlot(v.bools[:], &v.nBool, b) }

// nextSlot stores x in the next free slot and points to it, or to a heap copy once full.
func nextSlot[T any](slots []T, used *int, x T) *T {
	if *used == len(slots) {
		p := new(T) // a copy, so that x itself stays off the heap
		*p = x
		return p
	}
	p := &slots[*used]
	*used++
	*p = x
	return p
}

type wireMetadata struct {
	TransactionID *string `json:"transaction_id"`
	CorrelationID *string `json:"correlation_id"`
	Timestamp     *string `json:"timestamp"`
	Source        *string `json:"source"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Decode decodes one JSON event. It never panics; a rejected event returns a
// *Error whose Reason is one of the Reason* constants.
func Decode(body []byte) (*Event, error) {
	body, err := checkObject(body)
	if err != nil {
		return nil, err
	}
	// Python's bare NaN/Infinity are rewritten first; a body that does not even hold those
	// words (the common case) skips the tokenising scan that looks for them.
	if bytes.Contains(body, []byte("NaN")) || bytes.Contains(body, []byte("Infinity")) {
		body = SanitizeNonFinite(body)
	}
	w := wireEvents.Get().(*wireEvent)
	defer func() {
		*w = wireEvent{}
		wireEvents.Put(w)
	}()
	if err := parseWire(body, w); err != nil {
		return nil, err
	}
	// eventFromWire copies every value out: nothing of w outlives this call.
	return eventFromWire(w)
}

// DecodeString decodes an event held in a string (a Redis message) in place, without copying
// it: the Event's raw values (payload, error details) then point into body.
func DecodeString(body string) (*Event, error) { return Decode(stringBytes(body)) }

// stringBytes views s as bytes without copying it. Only for the decoder's input, which it
// never writes: the NaN/Infinity rewrite makes a new slice, strings are copied out, and raw
// values (payload, error details) are capped at their end so no append can reach past them.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// wireEvents recycles the wireEvent a decode fills (with its values), one per event otherwise.
var wireEvents = sync.Pool{New: func() any { return new(wireEvent) }}

// prepareBody trims the body, rejects what is not an object, and rewrites Python's bare
// NaN/Infinity tokens.
func prepareBody(body []byte) ([]byte, error) {
	body, err := checkObject(body)
	if err != nil {
		return nil, err
	}
	return SanitizeNonFinite(body), nil
}

// checkObject trims the body and rejects what is not an object.
func checkObject(body []byte) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		if len(body) > 0 && (body[0] == '[' || body[0] == '"' || body[0] == 't' || body[0] == 'f' || body[0] == 'n' || body[0] == '-' || (body[0] >= '0' && body[0] <= '9')) && json.Valid(body) {
			return nil, &Error{Reason: ReasonNotObject}
		}
		return nil, &Error{Reason: ReasonInvalidJSON}
	}
	return body, nil
}

// parseWire reads the top-level object into a wireEvent (see wirejson.go).
func parseWire(body []byte, w *wireEvent) error {
	r := &wireReader{b: body}
	sink := &fieldSink{b: body, values: &w.values}
	var metaErr error
	end, err := r.objectFields(0, 0, func(key []byte, escaped bool, kind jsonValueKind, start, end int) {
		name := wireFieldName(key, escaped, topLevelFields)
		switch name {
		case "id":
			sink.str(&w.ID, name, kind, start, end)
		case "type":
			sink.str(&w.Type, name, kind, start, end)
		case "metadata":
			switch kind {
			case jsonNull:
				w.Metadata = nil
			case jsonObject:
				w.values.meta = wireMetadata{}
				w.Metadata = &w.values.meta
				if _, err := r.objectFields(start, 1, func(key []byte, escaped bool, kind jsonValueKind, start, end int) {
					// Field names written out: "metadata."+name would allocate for every member.
					switch wireFieldName(key, escaped, metadataFields) {
					case "transaction_id":
						sink.str(&w.Metadata.TransactionID, "metadata.transaction_id", kind, start, end)
					case "correlation_id":
						sink.str(&w.Metadata.CorrelationID, "metadata.correlation_id", kind, start, end)
					case "timestamp":
						sink.str(&w.Metadata.Timestamp, "metadata.timestamp", kind, start, end)
					case "source":
						sink.str(&w.Metadata.Source, "metadata.source", kind, start, end)
					}
				}); err != nil {
					metaErr = err
				}
			default:
				sink.fail(name, kind)
			}
		case "payload":
			sink.raw(&w.Payload, start, end)
		case "worker_type":
			sink.str(&w.WorkerType, name, kind, start, end)
		case "timeout_seconds":
			sink.float(&w.TimeoutSeconds, name, kind, start, end)
		case "command_id":
			sink.str(&w.CommandID, name, kind, start, end)
		case "success":
			sink.boolean(&w.Success, name, kind, start, end)
		case "error_message":
			sink.str(&w.ErrorMessage, name, kind, start, end)
		case "error_details":
			sink.raw(&w.ErrorDetails, start, end)
		case "error_code":
			sink.raw(&w.ErrorCode, start, end)
		case "original_command_id":
			sink.str(&w.OriginalCommandID, name, kind, start, end)
		case "compensation_type":
			sink.str(&w.CompensationType, name, kind, start, end)
		case "status":
			sink.str(&w.Status, name, kind, start, end)
		case "message":
			sink.str(&w.Message, name, kind, start, end)
		case "event_name":
			sink.str(&w.EventName, name, kind, start, end)
		case "transaction_id":
			sink.str(&w.TransactionID, name, kind, start, end)
		case "correlation_id":
			sink.str(&w.CorrelationID, name, kind, start, end)
		case "timestamp":
			sink.str(&w.Timestamp, name, kind, start, end)
		case "data":
			sink.raw(&w.Data, start, end)
		}
	})
	if err == nil && metaErr != nil {
		err = metaErr
	}
	if err == nil && r.skipSpace(end) != len(body) {
		err = errSyntax // data after the object
	}
	if err != nil {
		return &Error{Reason: ReasonInvalidJSON, Detail: err.Error()}
	}
	if sink.typeErr != nil {
		return &Error{Reason: ReasonWrongType, Detail: sink.typeErr.field + " has the wrong JSON type"}
	}
	return nil
}

var (
	topLevelFields = []string{"id", "type", "metadata", "payload", "worker_type", "timeout_seconds", "command_id", "success",
		"error_message", "error_details", "error_code", "original_command_id", "compensation_type", "status", "message",
		"event_name", "transaction_id", "correlation_id", "timestamp", "data"}
	metadataFields = []string{"transaction_id", "correlation_id", "timestamp", "source"}
)

// wireFieldName maps a member name to the field it sets, matching like encoding/json does:
// exactly, or else case-insensitively. It returns "" for unknown members.
func wireFieldName(key []byte, escaped bool, names []string) string {
	if !escaped {
		for _, n := range names {
			if string(key) == n {
				return n
			}
		}
	}
	for _, n := range names {
		if keyIs(key, escaped, n) {
			return n
		}
	}
	return ""
}

// eventFromWire checks what the framework requires and builds the event.
func eventFromWire(w *wireEvent) (*Event, error) {
	if w.Type == nil || *w.Type == "" {
		return nil, &Error{Reason: ReasonMissingType}
	}
	kind, ok := parseKind(*w.Type)
	if !ok {
		return nil, &Error{Reason: ReasonUnknownType, Detail: truncateForLog(*w.Type)}
	}
	ev := &Event{Kind: kind, ID: str(w.ID), TimeoutSeconds: -1}
	rawTimestamp := ""
	if kind == KindCustom {
		ev.EventName = str(w.EventName)
		if ev.EventName == "" {
			return nil, &Error{Reason: ReasonMissingEventName}
		}
		ev.TransactionID = str(w.TransactionID)
		ev.CorrelationID = str(w.CorrelationID)
		rawTimestamp = str(w.Timestamp)
		ev.Payload = nullToEmpty(w.Data)
		if w.Metadata != nil && ev.TransactionID == "" {
			ev.TransactionID = str(w.Metadata.TransactionID)
		}
	} else {
		if w.Metadata == nil || str(w.Metadata.TransactionID) == "" {
			return nil, &Error{Reason: ReasonMissingTransactionID}
		}
		ev.TransactionID = *w.Metadata.TransactionID
		ev.CorrelationID = str(w.Metadata.CorrelationID)
		ev.Source = str(w.Metadata.Source)
		rawTimestamp = str(w.Metadata.Timestamp)
		ev.Payload = nullToEmpty(w.Payload)
	}
	if rawTimestamp != "" {
		ts, err := ParseTimestamp(rawTimestamp)
		if err != nil {
			return nil, &Error{Reason: ReasonBadTimestamp, Detail: truncateForLog(rawTimestamp)}
		}
		ev.Timestamp = ts
	}
	switch kind {
	case KindCommand:
		ev.WorkerType = str(w.WorkerType)
		if w.TimeoutSeconds != nil && *w.TimeoutSeconds >= 0 {
			ev.TimeoutSeconds = *w.TimeoutSeconds
		}
	case KindResult:
		ev.CommandID = str(w.CommandID)
		if ev.CommandID == "" {
			return nil, &Error{Reason: ReasonMissingCommandID}
		}
		ev.Success = w.Success != nil && *w.Success
		ev.ErrorMessage = str(w.ErrorMessage)
		ev.ErrorDetails = nullToEmpty(w.ErrorDetails)
	case KindError:
		ev.CommandID = str(w.CommandID)
		ev.ErrorMessage = str(w.ErrorMessage)
		ev.ErrorDetails = nullToEmpty(w.ErrorDetails)
		ev.ErrorCode = nullToEmpty(w.ErrorCode)
	case KindCompensation:
		ev.OriginalCommandID = str(w.OriginalCommandID)
		ev.CompensationType = str(w.CompensationType)
	case KindStatus:
		ev.Status = str(w.Status)
		ev.Message = str(w.Message)
	}
	return ev, nil
}

func nullToEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// ParseTimestamp reads the framework's naive UTC ISO-8601 timestamps, with or without a
// fractional second, and also accepts explicit offsets (RFC 3339).
func ParseTimestamp(s string) (time.Time, error) {
	if t, ok := parseCanonicalTimestamp(s); ok {
		return t, nil
	}
	// The fractional part is optional in this layout: Python omits it when it is zero.
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	// Python's isoformat(sep=" ") and naive offsets like +00:00 without fraction.
	if t, err := time.Parse("2006-01-02 15:04:05.999999999", s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errors.New("unrecognised timestamp")
}

// parseCanonicalTimestamp reads the framework's own form, 2006-01-02T15:04:05[.fraction]
// (1-9 digits), without time.Parse's layout interpretation; anything else, or a day past the
// 28th (whose validity depends on the month), is left to time.Parse (ok false).
func parseCanonicalTimestamp(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if len(s) > 19 {
		digits := len(s) - 20
		if s[19] != '.' || digits < 1 || digits > 9 {
			return time.Time{}, false
		}
		frac, ok := num(20, len(s))
		if !ok {
			return time.Time{}, false
		}
		nsec = frac
		for i := digits; i < 9; i++ {
			nsec *= 10
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// truncateForLog keeps reject details short; they come from untrusted input.
func truncateForLog(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}
