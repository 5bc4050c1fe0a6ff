// Package metadata holds what mdatagen would generate from ../../metadata.yaml.
// It is written by hand because cmd/mdatagen is not served by the module proxy at
// the release we pin (see docs in architecture.md); keep it in step with metadata.yaml.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("alertmanager")
	ScopeName = "github.com/otelcol-multiagents/otelcol-multiagents/exporter/alertmanagerexporter"
)

const (
	MetricsStability = component.StabilityLevelDevelopment
)
