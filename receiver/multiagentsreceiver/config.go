package multiagentsreceiver

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
)

// Config is the configuration of the multiagents receiver.
type Config struct {
	// Redis is the framework's event bus, tapped with PSUBSCRIBE.
	Redis RedisConfig `mapstructure:"redis"`
	// HTTP is the optional push endpoint (POST /v1/events); off unless configured.
	HTTP configoptional.Optional[confighttp.ServerConfig] `mapstructure:"http"`
	// Transactions bounds the state kept per open workflow run.
	Transactions TransactionsConfig `mapstructure:"transactions"`
	// Metrics controls the receiver's own event, worker and workflow metrics.
	Metrics MetricsConfig `mapstructure:"metrics"`
	// Logs controls the log record emitted per event.
	Logs LogsConfig `mapstructure:"logs"`
	// Sampling keeps a fraction of successful transactions' traces and logs.
	Sampling SamplingConfig `mapstructure:"sampling"`
	// Redact lists the payload keys whose values never leave the receiver.
	Redact RedactConfig `mapstructure:"redact"`
	// Payload caps what is attached of each event's payload.
	Payload PayloadConfig `mapstructure:"payload"`
	// GenAI emits worker and workflow spans in the OpenTelemetry GenAI conventions (genai.go).
	GenAI GenAIConfig `mapstructure:"genai"`
	// InstanceID is the service.instance.id of everything this receiver emits; empty means
	// "<hostname>-p<partition index>", stable across restarts of the same replica.
	InstanceID string `mapstructure:"instance_id"`
	// Storage names a storage extension that keeps the checkpoint and the exported set
	// across restarts; nil means none (reconcile_lookback bounds the catch-up instead).
	Storage *component.ID `mapstructure:"storage"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// RedisConfig says where the framework's Redis is and which channels it publishes on.
type RedisConfig struct {
	// Endpoint is host:port of the Redis server.
	Endpoint string `mapstructure:"endpoint"`
	// Password for AUTH; empty for none.
	Password configopaque.String `mapstructure:"password"`
	// DB is the logical database the saga:* keys live in.
	DB int `mapstructure:"db"`
	// TLS is off unless configured.
	TLS configtls.ClientConfig `mapstructure:"tls"`
	// ChannelPrefix is the framework's channel prefix ("multiagent:" by default).
	ChannelPrefix string `mapstructure:"channel_prefix"`
	// Reconcile scans saga:* keys after each (re)connect to catch up on what a gap missed.
	Reconcile bool `mapstructure:"reconcile"`
	// QueueSize is how many raw messages may wait for decoding before new ones are dropped.
	QueueSize int `mapstructure:"queue_size"`
	// ReconcileLookback is how far back the first reconciliation after a start rebuilds ended
	// workflows when no checkpoint is stored; 0 rebuilds only open ones.
	ReconcileLookback time.Duration `mapstructure:"reconcile_lookback"`
	// ReconcileMaxSagas bounds the saga:* keys read by one reconciliation pass.
	ReconcileMaxSagas int `mapstructure:"reconcile_max_sagas"`
	// Partition makes this receiver one of count replicas sharing the bus.
	Partition PartitionConfig `mapstructure:"partition"`

	_ struct{}
}

// PartitionConfig splits transactions between replicas on the same Redis: a transaction
// belongs to partition FNV-1a-64(transaction_id) mod count; events without one to partition 0.
type PartitionConfig struct {
	// Count is the number of replicas; 1 means no partitioning.
	Count int `mapstructure:"count"`
	// Index is this replica's partition, in [0, count).
	Index int `mapstructure:"index"`

	_ struct{}
}

// TransactionsConfig bounds the per-transaction state.
type TransactionsConfig struct {
	// MaxOpen is the number of open transactions kept; past it the oldest is flushed (incomplete) and counted.
	MaxOpen int `mapstructure:"max_open"`
	// MaxSpansPerTransaction caps the spans built for one transaction (the guide's max_traces_per_transaction).
	MaxSpansPerTransaction int `mapstructure:"max_spans_per_transaction"`
	// Retention is how long a transaction may stay open before it is flushed marked incomplete.
	Retention time.Duration `mapstructure:"retention"`
	// StepTimeoutGrace is added to a command's timeout_seconds before the receiver ends the step as timed out.
	StepTimeoutGrace time.Duration `mapstructure:"step_timeout_grace"`
	// StuckFloor is the shortest time without an event after which an open run counts in
	// multiagents.workflow.stuck; the threshold is max(stuck_floor, stuck_factor × p95 of the
	// workflow's completed runs), capped at retention/2.
	StuckFloor time.Duration `mapstructure:"stuck_floor"`
	// StuckFactor multiplies the p95 duration of a workflow's completed runs; 0 uses the floor only.
	StuckFactor float64 `mapstructure:"stuck_factor"`

	_ struct{}
}

// MetricsConfig controls metric emission.
type MetricsConfig struct {
	// Interval between two emissions of the cumulative metrics: every series is re-sent at
	// least this often, changed or not.
	Interval time.Duration `mapstructure:"interval"`
	// MaxDelay bounds how long a change (an event counted, a step timed out, a command turned
	// overdue, a run turned stuck, the bus lost or regained) waits before the metrics go out:
	// alerts downstream are evaluated on arrival, so this is the receiver's share of the time
	// to page. 0, or a value not below interval, sends only every interval.
	MaxDelay time.Duration `mapstructure:"max_delay"`

	_ struct{}
}

// LogsConfig controls the per-event log records.
type LogsConfig struct {
	// Enabled emits one log record per event when the receiver is in a logs pipeline.
	Enabled bool `mapstructure:"enabled"`

	_ struct{}
}

// SamplingConfig is the guide's SamplingEventMonitor.
type SamplingConfig struct {
	// Rate is the fraction (0..1) of successful transactions whose traces and logs are kept.
	Rate float64 `mapstructure:"rate"`

	_ struct{}
}

// RedactConfig names sensitive payload keys.
type RedactConfig struct {
	// Keys are matched case-insensitively as substrings of payload keys at any depth.
	Keys []string `mapstructure:"keys"`

	_ struct{}
}

// PayloadConfig caps attached payloads.
type PayloadConfig struct {
	// MaxSize is the largest payload, in bytes of JSON, attached to a log record; larger ones are truncated.
	MaxSize int `mapstructure:"max_size"`
	// TrackPayloadSize records each payload's original size as multiagents.payload.size.
	TrackPayloadSize bool `mapstructure:"track_payload_size"`

	_ struct{}
}

// Validate checks the configuration; each error names the field it is about.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Redis.Endpoint == "" {
		errs = append(errs, errors.New("redis.endpoint: must not be empty"))
	} else if _, _, err := net.SplitHostPort(cfg.Redis.Endpoint); err != nil {
		// The value is not repeated: a URL such as redis://:PASSWORD@host:6379 is the usual mistake.
		errs = append(errs, errors.New("redis.endpoint: must be host:port, e.g. redis.internal:6379 (not a URL; the password goes in redis.password)"))
	}
	if cfg.Redis.DB < 0 {
		errs = append(errs, fmt.Errorf("redis.db: must be >= 0, got %d", cfg.Redis.DB))
	}
	if cfg.Redis.ChannelPrefix == "" {
		errs = append(errs, errors.New("redis.channel_prefix: must not be empty"))
	}
	if cfg.Redis.QueueSize <= 0 {
		errs = append(errs, fmt.Errorf("redis.queue_size: must be positive, got %d", cfg.Redis.QueueSize))
	}
	if cfg.Redis.ReconcileLookback < 0 {
		errs = append(errs, fmt.Errorf("redis.reconcile_lookback: must be >= 0, got %s", cfg.Redis.ReconcileLookback))
	}
	if cfg.Redis.ReconcileMaxSagas <= 0 {
		errs = append(errs, fmt.Errorf("redis.reconcile_max_sagas: must be positive, got %d", cfg.Redis.ReconcileMaxSagas))
	}
	if cfg.Redis.Partition.Count < 1 {
		errs = append(errs, fmt.Errorf("redis.partition.count: must be >= 1, got %d", cfg.Redis.Partition.Count))
	} else if cfg.Redis.Partition.Index < 0 || cfg.Redis.Partition.Index >= cfg.Redis.Partition.Count {
		errs = append(errs, fmt.Errorf("redis.partition.index: must be within [0, %d) (redis.partition.count), got %d",
			cfg.Redis.Partition.Count, cfg.Redis.Partition.Index))
	}
	if cfg.HTTP.HasValue() && cfg.HTTP.Get().NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("http.endpoint: must not be empty when http is enabled"))
	}
	if cfg.Transactions.MaxOpen <= 0 {
		errs = append(errs, fmt.Errorf("transactions.max_open: must be positive, got %d", cfg.Transactions.MaxOpen))
	}
	if cfg.Transactions.MaxSpansPerTransaction <= 0 {
		errs = append(errs, fmt.Errorf("transactions.max_spans_per_transaction: must be positive, got %d", cfg.Transactions.MaxSpansPerTransaction))
	}
	if cfg.Transactions.Retention <= 0 {
		errs = append(errs, fmt.Errorf("transactions.retention: must be positive, got %s", cfg.Transactions.Retention))
	}
	if cfg.Transactions.StepTimeoutGrace < 0 {
		errs = append(errs, fmt.Errorf("transactions.step_timeout_grace: must be >= 0, got %s", cfg.Transactions.StepTimeoutGrace))
	}
	if cfg.Transactions.StuckFloor <= 0 {
		errs = append(errs, fmt.Errorf("transactions.stuck_floor: must be positive, got %s", cfg.Transactions.StuckFloor))
	} else if cfg.Transactions.Retention > 0 && cfg.Transactions.StuckFloor > cfg.Transactions.Retention/2 {
		errs = append(errs, fmt.Errorf("transactions.stuck_floor: must be at most half of transactions.retention (%s), got %s: a stuck run must be reported well before it is flushed as incomplete",
			cfg.Transactions.Retention, cfg.Transactions.StuckFloor))
	}
	if cfg.Transactions.StuckFactor < 0 || cfg.Transactions.StuckFactor != cfg.Transactions.StuckFactor {
		errs = append(errs, fmt.Errorf("transactions.stuck_factor: must be >= 0, got %v", cfg.Transactions.StuckFactor))
	}
	if cfg.Metrics.Interval <= 0 {
		errs = append(errs, fmt.Errorf("metrics.interval: must be positive, got %s", cfg.Metrics.Interval))
	}
	if cfg.Metrics.MaxDelay < 0 {
		errs = append(errs, fmt.Errorf("metrics.max_delay: must be >= 0 (0 sends only every metrics.interval), got %s", cfg.Metrics.MaxDelay))
	}
	if cfg.Sampling.Rate < 0 || cfg.Sampling.Rate > 1 || cfg.Sampling.Rate != cfg.Sampling.Rate {
		errs = append(errs, fmt.Errorf("sampling.rate: must be within [0, 1], got %v", cfg.Sampling.Rate))
	}
	for i, k := range cfg.Redact.Keys {
		if strings.TrimSpace(k) == "" {
			errs = append(errs, fmt.Errorf("redact.keys[%d]: must not be empty (it would match every key)", i))
		}
	}
	if cfg.Payload.MaxSize <= 0 {
		errs = append(errs, fmt.Errorf("payload.max_size: must be positive, got %d", cfg.Payload.MaxSize))
	}
	errs = append(errs, cfg.GenAI.validate(cfg.Redact.Keys)...)
	return errors.Join(errs...)
}
