package alertstate

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Header is the attributes every point carries, as written: threshold is text (shown, not
// computed on), cooldown a Go duration (FormatCooldown).
type Header struct {
	Name, State, Severity, Fingerprint, Description, Threshold, Cooldown string
}

// NumHeaderAttributes is how many attributes Put writes, for callers sizing the map.
const NumHeaderAttributes = 7

// Put writes the header's attributes on a point.
func (h Header) Put(attrs pcommon.Map) {
	attrs.PutStr(AttrAlertName, h.Name)
	attrs.PutStr(AttrAlertState, h.State)
	attrs.PutStr(AttrSeverity, h.Severity)
	attrs.PutStr(AttrFingerprint, h.Fingerprint)
	attrs.PutStr(AttrDescription, h.Description)
	attrs.PutStr(AttrThreshold, h.Threshold)
	attrs.PutStr(AttrCooldown, h.Cooldown)
}

// PutAnnotation writes a rule annotation as annotations.<name>.
func PutAnnotation(attrs pcommon.Map, name, value string) {
	attrs.PutStr(AnnotationPrefix+name, value)
}

// FormatCooldown is the written form of a rule's cooldown ("15m0s"; "0s" when unset, meaning
// the notifier's repeat_interval).
func FormatCooldown(d time.Duration) string { return d.String() }
