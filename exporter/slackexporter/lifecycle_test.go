package slackexporter

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/slackexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
)

func TestComponentFactoryType(t *testing.T) {
	require.Equal(t, metadata.Type, NewFactory().Type())
}

func TestComponentConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()))
}

func TestComponentLifecycle(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		// No destination: the exporter is off, and says so once.
		componentlifecycle.Exporter(t, NewFactory(), NewFactory().CreateDefaultConfig())
	})
	t.Run("destination", func(t *testing.T) {
		// A destination nothing listens on: the lifecycle batch is no alert, so nothing is sent.
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		cfg.WebhookURL = "http://127.0.0.1:1/hook"
		cfg.InsecureAllowHTTP = true
		require.NoError(t, cfg.Validate())
		componentlifecycle.Exporter(t, NewFactory(), cfg)
	})
}
