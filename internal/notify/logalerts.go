package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// maxLogAlertName bounds a name taken from a record's body, which can be any length.
const maxLogAlertName = 256

// AlertsFromLogs reads every log record at or above minSeverity as a firing alert (or in the
// state of its alertstate attribute, when it has one). Its name is the name attribute or the body;
// its fingerprint the fingerprint attribute or a hash of the name and fingerprintAttrs.
func AlertsFromLogs(ld plog.Logs, minSeverity Severity, cfg LogAlertsConfig) ([]Alert, []error) {
	var alerts []Alert
	var errs []error
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				a, ok, err := alertFromLogRecord(lrs.At(k), minSeverity, cfg)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if ok {
					alerts = append(alerts, a)
				}
			}
		}
	}
	return alerts, errs
}

func alertFromLogRecord(lr plog.LogRecord, minSeverity Severity, cfg LogAlertsConfig) (Alert, bool, error) {
	attrs := lr.Attributes()
	sev, ok := logSeverity(lr)
	if !ok || sev < minSeverity {
		return Alert{}, false, nil
	}
	a := Alert{Severity: sev, State: StateFiring, Time: lr.Timestamp().AsTime()}
	if a.Time.Unix() <= 0 {
		a.Time = lr.ObservedTimestamp().AsTime()
	}
	body := lr.Body().AsString()
	a.Name = alertstate.StringAttr(attrs, cfg.NameAttribute)
	if a.Name == "" {
		a.Name = TruncateBytes(strings.TrimSpace(body), maxLogAlertName)
	}
	if a.Name == "" {
		return Alert{}, false, nil
	}
	if s := alertstate.StringAttr(attrs, alertstate.AttrAlertState); s != "" {
		var err error
		if a.State, err = parseState(s); err != nil {
			return Alert{}, false, err
		}
	}
	a.Description = alertstate.StringAttr(attrs, alertstate.AttrDescription)
	if a.Description == "" {
		a.Description = body
	}
	a.Threshold = alertstate.StringAttr(attrs, alertstate.AttrThreshold)
	if v, ok := attrs.Get(alertstate.AttrCooldown); ok {
		var err error
		if a.Cooldown, err = alertstate.ParseCooldown(v); err != nil {
			return Alert{}, false, err
		}
	}
	for _, key := range cfg.FingerprintAttributes {
		if v, ok := attrs.Get(key); ok {
			a.Labels = append(a.Labels, Label{Key: key, Value: v.AsString()})
		}
	}
	a.Fingerprint = alertstate.StringAttr(attrs, alertstate.AttrFingerprint)
	if a.Fingerprint == "" {
		a.Fingerprint = fingerprintOf(a.Name, a.Labels)
	}
	return a, true, nil
}

// logSeverity is the record's severity attribute when valid, else its OpenTelemetry severity
// number (INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24), else its severity text.
func logSeverity(lr plog.LogRecord) (Severity, bool) {
	if sev, err := ParseSeverity(alertstate.StringAttr(lr.Attributes(), alertstate.AttrSeverity)); err == nil {
		return sev, true
	}
	switch n := lr.SeverityNumber(); {
	case n >= plog.SeverityNumberFatal:
		return SeverityCritical, true
	case n >= plog.SeverityNumberError:
		return SeverityError, true
	case n >= plog.SeverityNumberWarn:
		return SeverityWarning, true
	case n >= plog.SeverityNumberInfo:
		return SeverityInfo, true
	case n != plog.SeverityNumberUnspecified:
		return 0, false // trace and debug records are never alerts
	}
	switch strings.ToUpper(lr.SeverityText()) {
	case "FATAL", "CRITICAL":
		return SeverityCritical, true
	case "ERROR":
		return SeverityError, true
	case "WARN", "WARNING":
		return SeverityWarning, true
	case "INFO":
		return SeverityInfo, true
	}
	return 0, false
}

// fingerprintOf derives a stable instance id from the alert name and its labels.
func fingerprintOf(name string, labels []Label) string {
	h := sha256.New()
	h.Write([]byte(name))
	for _, l := range labels {
		h.Write([]byte{0})
		h.Write([]byte(l.Key))
		h.Write([]byte{0})
		h.Write([]byte(l.Value))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
