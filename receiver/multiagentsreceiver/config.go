package multiagentsreceiver

import (
	"errors"
	"fmt"
	"net"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
)

// Config is the configuration of the multiagents receiver.
type Config struct {
	// Redis is the framework's event bus, tapped with PSUBSCRIBE.
	Redis RedisConfig `mapstructure:"redis"`
	// Metrics controls the receiver's own event, worker and workflow metrics.
	Metrics MetricsConfig `mapstructure:"metrics"`

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

	_ struct{}
}

// MetricsConfig controls metric emission.
type MetricsConfig struct {
	// Interval between two emissions of the cumulative metrics.
	Interval time.Duration `mapstructure:"interval"`

	_ struct{}
}

// Validate checks the configuration; each error names the field it is about.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Redis.Endpoint == "" {
		errs = append(errs, errors.New("redis.endpoint: must not be empty"))
	} else if _, _, err := net.SplitHostPort(cfg.Redis.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("redis.endpoint: %q is not host:port: %w", cfg.Redis.Endpoint, err))
	}
	if cfg.Redis.DB < 0 {
		errs = append(errs, fmt.Errorf("redis.db: must be >= 0, got %d", cfg.Redis.DB))
	}
	if cfg.Redis.ChannelPrefix == "" {
		errs = append(errs, errors.New("redis.channel_prefix: must not be empty"))
	}
	if cfg.Metrics.Interval <= 0 {
		errs = append(errs, fmt.Errorf("metrics.interval: must be positive, got %s", cfg.Metrics.Interval))
	}
	return errors.Join(errs...)
}
