// Package alertlabel maps the attribute names of an alert instance (alertname, severity, the
// rule's group and static labels, e.g. worker.name) to the label names Alertmanager accepts.
//
// Alertmanager's classic label names, like Prometheus's, are [a-zA-Z_][a-zA-Z0-9_]*, and amtool
// rejects any other in a matcher. Every place that shows an alert's labels to Alertmanager or
// its tools (the alertmanager exporter, the silences API, silence matching in the alert
// processor) maps them here, with the very translator and settings the Prometheus exporter uses
// for metric attributes, so a user writes a label as they see it on /metrics
// (worker.name → worker_name).
package alertlabel

import "github.com/prometheus/otlptranslator"

// namer is the prometheus exporter's label namer (exporter/prometheusexporter, configureLabelNamer)
// without UTF-8 names, which Alertmanager's classic matchers and amtool do not accept.
var namer = otlptranslator.LabelNamer{UTF8Allowed: false, PreserveMultipleUnderscores: true}

// Name returns key as a valid Alertmanager label name: characters other than ASCII letters,
// digits and underscores become underscores, and a leading digit gets "key_" in front. A name
// with no valid label name ("", or only underscores) maps to "", which callers reject.
func Name(key string) string {
	name, err := namer.Build(key)
	if err != nil {
		return ""
	}
	return name
}
