package multiagentsreceiver

import (
	"testing"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

func TestComponentLifecycle(t *testing.T) {
	// Redis at its default address, reached or not: Start never waits for it.
	cases := componentlifecycle.Default(NewFactory())
	// The push server too, on a free port: Shutdown must wait for its goroutine.
	withHTTP := NewFactory().CreateDefaultConfig().(*Config)
	httpCfg := confighttp.NewDefaultServerConfig()
	httpCfg.NetAddr.Endpoint = "127.0.0.1:0"
	withHTTP.HTTP = configoptional.Some(httpCfg)
	cases = append(cases, componentlifecycle.Case{Name: "http", Config: withHTTP})
	componentlifecycle.Receiver(t, NewFactory(), metadata.Type, cases)
}
