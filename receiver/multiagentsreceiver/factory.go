// Package multiagentsreceiver taps the MultiAgents framework's Redis event bus (and an
// optional HTTP push endpoint) and turns its events into traces, metrics and logs.
package multiagentsreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

const (
	defaultEndpoint               = "localhost:6379"
	defaultChannelPrefix          = "multiagent:"
	defaultQueueSize              = 65536
	defaultHTTPEndpoint           = "localhost:4320"
	defaultMaxOpen                = 10000
	defaultMaxSpansPerTransaction = 1000
	defaultRetention              = 24 * time.Hour
	defaultStepTimeoutGrace       = 30 * time.Second
	// defaultStuckFloor is twice the framework's default timeout_seconds (300 s): a run whose
	// step waits out its whole timeout is silent that long and is not stuck.
	defaultStuckFloor = 10 * time.Minute
	// defaultStuckFactor: three times the p95 run time of the workflow is far outside its
	// normal spread, and the idle time compared with it is never more than the run's age.
	defaultStuckFactor     = 3
	defaultMetricsInterval = 10 * time.Second
	defaultMetricsMaxDelay = time.Second
	defaultPayloadMaxSize  = 4096
	// defaultReconcileLookback covers a rolling restart or a short outage without replaying
	// much history on a first start.
	defaultReconcileLookback = 5 * time.Minute
	// defaultReconcileMaxSagas is ten times the default max_open: a catch-up never reads
	// unbounded key space.
	defaultReconcileMaxSagas = 100000
)

// defaultRedactKeys are the guide's sensitive keys plus secret and authorization.
var defaultRedactKeys = []string{"password", "token", "api_key", "secret", "credit_card", "ssn", "authorization"}

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
	httpCfg := confighttp.NewDefaultServerConfig()
	httpCfg.NetAddr.Endpoint = defaultHTTPEndpoint
	return &Config{
		Redis: RedisConfig{
			Endpoint:          defaultEndpoint,
			ChannelPrefix:     defaultChannelPrefix,
			Reconcile:         true,
			QueueSize:         defaultQueueSize,
			ReconcileLookback: defaultReconcileLookback,
			ReconcileMaxSagas: defaultReconcileMaxSagas,
			Partition:         PartitionConfig{Count: 1},
			// Plain TCP unless tls is configured, like Redis itself.
			TLS: configtls.ClientConfig{Insecure: true},
		},
		// Off unless the user writes an http: section; then these are its defaults.
		HTTP: configoptional.Default(httpCfg),
		Transactions: TransactionsConfig{
			MaxOpen:                defaultMaxOpen,
			MaxSpansPerTransaction: defaultMaxSpansPerTransaction,
			Retention:              defaultRetention,
			StepTimeoutGrace:       defaultStepTimeoutGrace,
			StuckFloor:             defaultStuckFloor,
			StuckFactor:            defaultStuckFactor,
		},
		Metrics:  MetricsConfig{Interval: defaultMetricsInterval, MaxDelay: defaultMetricsMaxDelay},
		Logs:     LogsConfig{Enabled: true},
		Sampling: SamplingConfig{Rate: 1.0},
		Redact:   RedactConfig{Keys: append([]string(nil), defaultRedactKeys...)},
		Payload:  PayloadConfig{MaxSize: defaultPayloadMaxSize, TrackPayloadSize: true},
	}
}

func loadShared(set receiver.Settings, cfg component.Config) (*sharedReceiver, error) {
	rCfg := cfg.(*Config)
	return receivers.loadOrStore(rCfg, func() (*multiAgentsReceiver, error) {
		return newReceiver(rCfg, set)
	})
}

func createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	r, err := loadShared(set, cfg)
	if err != nil {
		return nil, err
	}
	r.inner.registerTraces(next)
	return r, nil
}

func createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	r, err := loadShared(set, cfg)
	if err != nil {
		return nil, err
	}
	r.inner.registerMetrics(next)
	return r, nil
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	r, err := loadShared(set, cfg)
	if err != nil {
		return nil, err
	}
	r.inner.registerLogs(next)
	return r, nil
}
