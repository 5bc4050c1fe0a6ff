// Package silencesextension serves Alertmanager's silences API (v2) so that amtool and other
// Alertmanager clients can set, list and expire silences, and tells the alert processor which
// active silences match an alert's labels (Silencer).
package silencesextension

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension/internal/metadata"
)

// DefaultEndpoint is loopback, so nothing off the host can set silences unless the operator
// opens it up (with auth). The port is Alertmanager's 9093 with a 1 in front: recognisable,
// outside Prometheus's allocated exporter range, and free to run beside a real Alertmanager
// (9093) and its cluster port (9094) on the same host.
const DefaultEndpoint = "localhost:19093"

// NewFactory returns the factory of the silences extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, create, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = DefaultEndpoint
	return &Config{
		ServerConfig: server,
		// Far more than people set by hand; a script setting one per alert would hit it and
		// be told, rather than grow the set (and every evaluation's matching) without bound.
		MaxSilences: 1000,
		// Alertmanager's default --data.retention: an expired silence stays listed for five
		// days, so `amtool silence query --expired` shows the same history as Alertmanager.
		Retention: 120 * time.Hour,
	}
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newSilencesExtension(set, cfg.(*Config), clockwork.NewRealClock())
}
