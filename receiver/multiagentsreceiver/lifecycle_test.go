package multiagentsreceiver

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

func TestComponentFactoryType(t *testing.T) {
	require.Equal(t, metadata.Type, NewFactory().Type())
}

func TestComponentConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()))
}

func TestComponentLifecycle(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		// Redis at its default address, reached or not: Start never waits for it.
		componentlifecycle.Receiver(t, NewFactory(), NewFactory().CreateDefaultConfig())
	})
	t.Run("http", func(t *testing.T) {
		// The push server too, on a free port: Shutdown must wait for its goroutine.
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		httpCfg := confighttp.NewDefaultServerConfig()
		httpCfg.NetAddr.Endpoint = "127.0.0.1:0"
		cfg.HTTP = configoptional.Some(httpCfg)
		componentlifecycle.Receiver(t, NewFactory(), cfg)
	})
}
