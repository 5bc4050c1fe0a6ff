// Package multiagentsreceiver taps the MultiAgents framework's Redis event bus.
package multiagentsreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

const (
	defaultEndpoint        = "localhost:6379"
	defaultChannelPrefix   = "multiagent:"
	defaultMetricsInterval = 10 * time.Second
)

// NewFactory returns the factory of the multiagents receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithTraces(createTraces, metadata.TracesStability),
		receiver.WithMetrics(createMetrics, metadata.MetricsStability),
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Redis: RedisConfig{
			Endpoint:      defaultEndpoint,
			ChannelPrefix: defaultChannelPrefix,
			Reconcile:     true,
			// Plain TCP unless tls is configured, like Redis itself.
			TLS: configtls.ClientConfig{Insecure: true},
		},
		Metrics: MetricsConfig{Interval: defaultMetricsInterval},
	}
}

func createTraces(_ context.Context, _ receiver.Settings, _ component.Config, _ consumer.Traces) (receiver.Traces, error) {
	return &busReceiver{}, nil
}

func createMetrics(_ context.Context, _ receiver.Settings, _ component.Config, _ consumer.Metrics) (receiver.Metrics, error) {
	return &busReceiver{}, nil
}

func createLogs(_ context.Context, _ receiver.Settings, _ component.Config, _ consumer.Logs) (receiver.Logs, error) {
	return &busReceiver{}, nil
}
