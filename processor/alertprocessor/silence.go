package alertprocessor

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertlabel"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// stateSilenced is the alertstate written for a firing instance that an active silence of the
// silences extension matches; it takes precedence over inhibited. Like inhibited it is not a
// state of the machine: whether a silence matches is asked again at every evaluation, so a
// silence's start and end (or expiry through amtool) take effect at the next one.
const stateSilenced = alertstate.StateSilenced

// openSilences looks up the extension named by the silences key.
func (p *alertProcessor) openSilences(host component.Host) error {
	if p.cfg.Silences == nil {
		return nil
	}
	ext, ok := host.GetExtensions()[*p.cfg.Silences]
	if !ok {
		return fmt.Errorf("silences: extension %q not found; add it under extensions and service::extensions", p.cfg.Silences)
	}
	silencer, ok := ext.(silencesextension.Silencer)
	if !ok {
		return fmt.Errorf("silences: extension %q is not a silences extension", p.cfg.Silences)
	}
	p.silencer = silencer
	return nil
}

// applySilences marks each firing instance that an active silence matches. Only firing
// instances are asked about: pending and resolved are never silenced.
func applySilences(silencer silencesextension.Silencer, rules []*compiledRule, now time.Time) {
	for _, r := range rules {
		for _, in := range r.instances {
			in.silenced = silencer != nil && in.state == stateFiring && len(silencer.Silenced(silenceLabels(r, in), now)) > 0
		}
	}
}

// silenceLabels is the label set of an instance as Alertmanager and amtool see it: alertname,
// severity, the rule's group labels (those with a value, as a missing label reads as "") and
// static labels, each name mapped by alertlabel.Name (worker.name → worker_name).
func silenceLabels(r *compiledRule, in *instance) map[string]string {
	labels := make(map[string]string, 2+len(r.cfg.GroupBy)+len(r.cfg.Labels))
	for i, key := range r.cfg.GroupBy {
		if i < len(in.labels) && in.labels[i] != "" {
			labels[alertlabel.Name(key)] = in.labels[i]
		}
	}
	for key, value := range r.cfg.Labels {
		labels[alertlabel.Name(key)] = value
	}
	labels[alertstate.AttrAlertName] = r.cfg.Name
	labels[alertstate.AttrSeverity] = r.cfg.Severity
	return labels
}
