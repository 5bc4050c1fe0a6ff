package emailexporter

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/emailexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
)

// The default config has no destination (the exporter is off and says so once); the other
// names one nothing listens on: the lifecycle batch is no alert, so nothing is sent.
func TestComponentLifecycle(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Endpoint = "127.0.0.1:1"
	cfg.TLS = TLSNone
	cfg.Insecure = true
	cfg.From = "alerts@example.com"
	cfg.To = []string{"oncall@example.com"}
	require.NoError(t, cfg.Validate())
	cases := append(componentlifecycle.Default(NewFactory()), componentlifecycle.Case{Name: "destination", Config: cfg})
	componentlifecycle.Exporter(t, NewFactory(), metadata.Type, cases)
}
