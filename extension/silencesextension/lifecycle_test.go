package silencesextension

import (
	"testing"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
)

func TestComponentLifecycle(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	// The default config but a free port: DefaultEndpoint may be held by a running collector.
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	componentlifecycle.Extension(t, NewFactory(), metadata.Type, []componentlifecycle.Case{{Name: "default", Config: cfg}}, nil)
}
