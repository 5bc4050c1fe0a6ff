package silencesextension

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Silencer tells which active silences match an alert. The alert processor calls it at every
// evaluation for each firing instance.
type Silencer interface {
	// Silenced returns the ids of the silences active at now whose matchers all match labels
	// (Alertmanager label names, as internal/alertlabel.Name maps them), sorted; nil when none.
	Silenced(labels map[string]string, now time.Time) []string
}

// State is a silence's state at a given time, as Alertmanager's API shows it.
type State string

// The states of a silence.
const (
	StatePending State = "pending"
	StateActive  State = "active"
	StateExpired State = "expired"
)

// states lists the states in Alertmanager's listing order.
var states = []State{StateActive, StatePending, StateExpired}

// Matcher is one matcher of a silence, in the API's form.
type Matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// Silence is a silence as it is kept, stored and listed.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`

	compiled []compiledMatcher
}

// State is the silence's state at now. A silence is active from startsAt until endsAt
// (exclusive, so an expire at now takes effect at now).
func (s *Silence) State(now time.Time) State {
	switch {
	case now.Before(s.StartsAt):
		return StatePending
	case now.Before(s.EndsAt):
		return StateActive
	}
	return StateExpired
}

// matches tells whether every matcher of the silence matches labels (a missing label reads as
// "", as in Alertmanager).
func (s *Silence) matches(labels map[string]string) bool {
	for i := range s.compiled {
		if !s.compiled[i].matches(labels[s.compiled[i].name]) {
			return false
		}
	}
	return true
}

type compiledMatcher struct {
	name, value string
	re          *regexp.Regexp // nil for (in)equality
	negate      bool
}

func (m *compiledMatcher) matches(v string) bool {
	var ok bool
	if m.re != nil {
		ok = m.re.MatchString(v)
	} else {
		ok = v == m.value
	}
	return ok != m.negate
}

// labelName is Alertmanager's classic label name syntax (what amtool 0.25 accepts).
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// compileMatcher checks one matcher as Alertmanager does and compiles it; regular
// expressions are anchored at both ends.
func compileMatcher(m Matcher) (compiledMatcher, error) {
	if !labelName.MatchString(m.Name) {
		return compiledMatcher{}, fmt.Errorf("invalid label name %q", m.Name)
	}
	c := compiledMatcher{name: m.Name, negate: !m.IsEqual}
	if m.IsRegex {
		// Checked alone first, so the error quotes the pattern as written, as Alertmanager's does.
		if _, err := regexp.Compile(m.Value); err != nil {
			return compiledMatcher{}, fmt.Errorf("invalid regular expression %q: %s", m.Value, err)
		}
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil { // e.g. `\Qx`, which quotes the anchoring's closing parenthesis
			return compiledMatcher{}, fmt.Errorf("invalid regular expression %q: %s", m.Value, err)
		}
		c.re = re
	} else {
		if !utf8.ValidString(m.Value) {
			return compiledMatcher{}, fmt.Errorf("invalid label value %q", m.Value)
		}
		c.value = m.Value
	}
	return c, nil
}

// compile validates the silence as Alertmanager's validateSilence does and compiles its
// matchers.
func (s *Silence) compile() error {
	if len(s.Matchers) == 0 {
		return errors.New("at least one matcher required")
	}
	compiled := make([]compiledMatcher, 0, len(s.Matchers))
	allMatchEmpty := true
	for i, m := range s.Matchers {
		c, err := compileMatcher(m)
		if err != nil {
			return fmt.Errorf("invalid label matcher %d: %s", i, err)
		}
		compiled = append(compiled, c)
		allMatchEmpty = allMatchEmpty && c.matches("")
	}
	if allMatchEmpty {
		// Such a silence would mute every alert.
		return errors.New("at least one matcher must not match the empty string")
	}
	if s.StartsAt.IsZero() {
		return errors.New("invalid zero start timestamp")
	}
	if s.EndsAt.IsZero() {
		return errors.New("invalid zero end timestamp")
	}
	s.compiled = compiled
	return nil
}

// postableSilence is the body of POST /api/v2/silences. Pointers tell a missing required
// field from an empty one.
type postableSilence struct {
	ID        string            `json:"id"`
	Matchers  []postableMatcher `json:"matchers"`
	StartsAt  *time.Time        `json:"startsAt"`
	EndsAt    *time.Time        `json:"endsAt"`
	CreatedBy *string           `json:"createdBy"`
	Comment   *string           `json:"comment"`
}

type postableMatcher struct {
	Name    *string `json:"name"`
	Value   *string `json:"value"`
	IsRegex *bool   `json:"isRegex"`
	IsEqual *bool   `json:"isEqual"` // default true
}

// schemaError is a request that breaks the API's schema (a required field missing, no
// matchers): Alertmanager's schema check refuses it with 422 and {"code": 6xx, "message": ...}
// (go-openapi's codes: 601 wrong type, 602 required, 612 too few items).
type schemaError struct {
	code int
	msg  string
}

func (e *schemaError) Error() string { return e.msg }

// toSilence checks the fields the API requires, in the schema's order, and returns the silence
// they describe.
func (p *postableSilence) toSilence() (*Silence, error) {
	var missing []string
	for _, f := range []struct {
		name   string
		absent bool
	}{
		{"matchers", p.Matchers == nil}, {"startsAt", p.StartsAt == nil}, {"endsAt", p.EndsAt == nil},
		{"createdBy", p.CreatedBy == nil}, {"comment", p.Comment == nil},
	} {
		if f.absent {
			missing = append(missing, f.name+" in body is required")
		}
	}
	for i, m := range p.Matchers {
		for _, f := range []struct {
			name   string
			absent bool
		}{{"name", m.Name == nil}, {"value", m.Value == nil}, {"isRegex", m.IsRegex == nil}} {
			if f.absent {
				missing = append(missing, fmt.Sprintf("matchers.%d.%s in body is required", i, f.name))
			}
		}
	}
	switch {
	case len(missing) == 1:
		return nil, &schemaError{602, missing[0]}
	case len(missing) > 1:
		return nil, &schemaError{602, "validation failure list:\n" + strings.Join(missing, "\n")}
	case len(p.Matchers) == 0:
		return nil, &schemaError{612, "matchers in body should have at least 1 items"}
	}
	s := &Silence{
		ID: p.ID, StartsAt: p.StartsAt.UTC(), EndsAt: p.EndsAt.UTC(),
		CreatedBy: *p.CreatedBy, Comment: *p.Comment, Matchers: make([]Matcher, 0, len(p.Matchers)),
	}
	for _, m := range p.Matchers {
		isEqual := m.IsEqual == nil || *m.IsEqual
		s.Matchers = append(s.Matchers, Matcher{Name: *m.Name, Value: *m.Value, IsRegex: *m.IsRegex, IsEqual: isEqual})
	}
	return s, nil
}

// uuidSyntax is the form of a silence id in a path; Alertmanager's schema refuses any other (422).
var uuidSyntax = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// gettableSilence is a silence as the API lists it.
type gettableSilence struct {
	*Silence
	Status silenceStatus `json:"status"`
}

type silenceStatus struct {
	State State `json:"state"`
}

// newID returns a random (version 4) UUID, as Alertmanager's silence ids are.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// filterMatcher is a matcher of GET /api/v2/silences?filter=..., in amtool's text form
// (name="value", name=~"re", ...).
type filterMatcher struct {
	name, op, value string
}

var filterSyntax = regexp.MustCompile(`^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$`)

func parseFilter(text string) (filterMatcher, error) {
	parts := filterSyntax.FindStringSubmatch(text)
	if parts == nil {
		return filterMatcher{}, fmt.Errorf("bad matcher format: %s", text)
	}
	value := parts[3]
	if len(value) >= 2 && strings.HasPrefix(value, `"`) && strings.HasSuffix(value, `"`) {
		unquoted, err := strconv.Unquote(value)
		if err != nil {
			return filterMatcher{}, fmt.Errorf("bad matcher format: %s", text)
		}
		value = unquoted
	}
	if parts[2] == "=~" || parts[2] == "!~" {
		if _, err := regexp.Compile(value); err != nil {
			return filterMatcher{}, fmt.Errorf("invalid regular expression %q: %s", value, err)
		}
	}
	return filterMatcher{name: parts[1], op: parts[2], value: value}, nil
}

// selects tells whether the silence has a matcher equal to f (same name, operator and value):
// Alertmanager's filter selects silences by their matchers, not by labels.
func (f filterMatcher) selects(s *Silence) bool {
	for _, m := range s.Matchers {
		if m.Name == f.name && m.Value == f.value && opOf(m) == f.op {
			return true
		}
	}
	return false
}

func opOf(m Matcher) string {
	switch {
	case m.IsRegex && m.IsEqual:
		return "=~"
	case m.IsRegex:
		return "!~"
	case m.IsEqual:
		return "="
	}
	return "!="
}
