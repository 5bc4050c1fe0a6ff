package slackexporter

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/slackexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
)

// The default config has no destination (the exporter is off and says so once); the other
// names one nothing listens on: the lifecycle batch is no alert, so nothing is sent.
func TestComponentLifecycle(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.WebhookURL = "http://127.0.0.1:1/hook"
	cfg.InsecureAllowHTTP = true
	require.NoError(t, cfg.Validate())
	cases := append(componentlifecycle.Default(NewFactory()), componentlifecycle.Case{Name: "destination", Config: cfg})
	componentlifecycle.Exporter(t, NewFactory(), metadata.Type, cases)
}
