package silencesextension

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
)

func TestComponentFactoryType(t *testing.T) {
	require.Equal(t, metadata.Type, NewFactory().Type())
}

func TestComponentConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()))
}

func TestComponentLifecycle(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	// The default config but a free port: DefaultEndpoint may be held by a running collector.
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	componentlifecycle.Extension(t, NewFactory(), cfg, nil)
}
