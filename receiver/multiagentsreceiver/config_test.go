package multiagentsreceiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

func TestConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	tests := []struct {
		id      component.ID
		check   func(t *testing.T, cfg *Config)
		wantErr string
	}{
		{
			id: component.NewID(metadata.Type),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, createDefaultConfig(), cfg)
				assert.False(t, cfg.HTTP.HasValue(), "http is off by default")
				assert.Equal(t, "localhost:6379", cfg.Redis.Endpoint)
				assert.Equal(t, "multiagent:", cfg.Redis.ChannelPrefix)
				assert.True(t, cfg.Redis.Reconcile)
				assert.Equal(t, 10000, cfg.Transactions.MaxOpen)
				assert.Equal(t, 1000, cfg.Transactions.MaxSpansPerTransaction)
				assert.Equal(t, 24*time.Hour, cfg.Transactions.Retention)
				assert.Equal(t, 10*time.Second, cfg.Metrics.Interval)
				assert.Equal(t, time.Second, cfg.Metrics.MaxDelay)
				assert.True(t, cfg.Logs.Enabled)
				assert.Equal(t, 1.0, cfg.Sampling.Rate)
				assert.Equal(t, []string{"password", "token", "api_key", "secret", "credit_card", "ssn", "authorization"}, cfg.Redact.Keys)
				assert.True(t, cfg.Payload.TrackPayloadSize)
				assert.Equal(t, PartitionConfig{Count: 1}, cfg.Redis.Partition, "no partitioning by default")
				assert.Equal(t, 10*time.Minute, cfg.Transactions.StuckFloor)
				assert.Equal(t, 3.0, cfg.Transactions.StuckFactor)
				assert.Equal(t, 5*time.Minute, cfg.Redis.ReconcileLookback)
				assert.Equal(t, 100000, cfg.Redis.ReconcileMaxSagas)
				assert.Nil(t, cfg.Storage)
				assert.Empty(t, cfg.InstanceID)
				assert.False(t, cfg.GenAI.Enabled, "genai spans are opt-in")
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "redis.internal:6380", cfg.Redis.Endpoint)
				assert.Equal(t, "s3cret", string(cfg.Redis.Password))
				assert.Equal(t, 2, cfg.Redis.DB)
				assert.Equal(t, "test_multiagent:", cfg.Redis.ChannelPrefix)
				assert.False(t, cfg.Redis.Reconcile)
				assert.Equal(t, 1000, cfg.Redis.QueueSize)
				require.True(t, cfg.HTTP.HasValue())
				assert.Equal(t, "0.0.0.0:4321", cfg.HTTP.Get().NetAddr.Endpoint)
				assert.Equal(t, int64(1048576), cfg.HTTP.Get().MaxRequestBodySize)
				assert.Equal(t, 500, cfg.Transactions.MaxOpen)
				assert.Equal(t, 50, cfg.Transactions.MaxSpansPerTransaction)
				assert.Equal(t, 2*time.Hour, cfg.Transactions.Retention)
				assert.Equal(t, 5*time.Second, cfg.Transactions.StepTimeoutGrace)
				assert.Equal(t, 20*time.Minute, cfg.Transactions.StuckFloor)
				assert.Equal(t, 2.5, cfg.Transactions.StuckFactor)
				assert.Equal(t, 500*time.Millisecond, cfg.Metrics.MaxDelay)
				assert.Equal(t, 30*time.Second, cfg.Metrics.Interval)
				assert.False(t, cfg.Logs.Enabled)
				assert.Equal(t, 0.25, cfg.Sampling.Rate)
				assert.Equal(t, []string{"password", "iban"}, cfg.Redact.Keys)
				assert.Equal(t, 1024, cfg.Payload.MaxSize)
				assert.False(t, cfg.Payload.TrackPayloadSize)
				assert.Equal(t, PartitionConfig{Count: 3, Index: 2}, cfg.Redis.Partition)
				assert.Equal(t, 15*time.Minute, cfg.Redis.ReconcileLookback)
				assert.Equal(t, 5000, cfg.Redis.ReconcileMaxSagas)
				assert.Equal(t, "tier1-2", cfg.InstanceID)
				require.NotNil(t, cfg.Storage)
				assert.Equal(t, component.MustNewIDWithName("file_storage", "multiagents"), *cfg.Storage)
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "http_defaults"),
			check: func(t *testing.T, cfg *Config) {
				require.True(t, cfg.HTTP.HasValue(), "an empty http: section turns the endpoint on")
				assert.Equal(t, "localhost:4320", cfg.HTTP.Get().NetAddr.Endpoint)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "bad_endpoint"), wantErr: "redis.endpoint: must be host:port"},
		{id: component.NewIDWithName(metadata.Type, "url_with_password"), wantErr: "redis.endpoint: must be host:port"},
		{id: component.NewIDWithName(metadata.Type, "bad_db"), wantErr: "redis.db"},
		{id: component.NewIDWithName(metadata.Type, "empty_prefix"), wantErr: "redis.channel_prefix"},
		{id: component.NewIDWithName(metadata.Type, "bad_queue_size"), wantErr: "redis.queue_size"},
		{id: component.NewIDWithName(metadata.Type, "bad_http_endpoint"), wantErr: "http.endpoint"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_open"), wantErr: "transactions.max_open"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_spans"), wantErr: "transactions.max_spans_per_transaction"},
		{id: component.NewIDWithName(metadata.Type, "bad_retention"), wantErr: "transactions.retention"},
		{id: component.NewIDWithName(metadata.Type, "bad_grace"), wantErr: "transactions.step_timeout_grace"},
		{id: component.NewIDWithName(metadata.Type, "bad_stuck_floor"), wantErr: "transactions.stuck_floor: must be at most half of transactions.retention"},
		{id: component.NewIDWithName(metadata.Type, "bad_stuck_factor"), wantErr: "transactions.stuck_factor"},
		{id: component.NewIDWithName(metadata.Type, "bad_interval"), wantErr: "metrics.interval"},
		{id: component.NewIDWithName(metadata.Type, "bad_sampling_rate"), wantErr: "sampling.rate"},
		{id: component.NewIDWithName(metadata.Type, "bad_redact_key"), wantErr: "redact.keys[1]"},
		{id: component.NewIDWithName(metadata.Type, "bad_payload_max_size"), wantErr: "payload.max_size"},
		{id: component.NewIDWithName(metadata.Type, "bad_partition_count"), wantErr: "redis.partition.count: must be >= 1"},
		{id: component.NewIDWithName(metadata.Type, "bad_partition_index"), wantErr: "redis.partition.index: must be within [0, 2)"},
		{id: component.NewIDWithName(metadata.Type, "negative_partition_index"), wantErr: "redis.partition.index"},
		{id: component.NewIDWithName(metadata.Type, "bad_lookback"), wantErr: "redis.reconcile_lookback"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_sagas"), wantErr: "redis.reconcile_max_sagas"},
		{
			id: component.NewIDWithName(metadata.Type, "genai"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, GenAIConfig{
					Enabled: true, Provider: "openai", Model: "gpt-4o",
					Workers: map[string]GenAIWorkerConfig{"summariser": {Provider: "anthropic", Model: "claude-sonnet-4"}},
					Usage:   GenAIUsageConfig{InputTokens: "usage.prompt_tokens", OutputTokens: "usage.completion_tokens"},
				}, cfg.GenAI)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "genai_no_provider"), wantErr: "genai.provider: must not be empty when genai.enabled is true"},
		// The default redact keys hold "token": usage.prompt_tokens would be redacted.
		{id: component.NewIDWithName(metadata.Type, "genai_redacted_usage"), wantErr: `genai.usage.input_tokens: segment "prompt_tokens" of "usage.prompt_tokens" matches a redact.keys entry`},
		{id: component.NewIDWithName(metadata.Type, "genai_bad_path"), wantErr: "genai.usage.output_tokens: empty segment"},
		{
			id: component.NewIDWithName(metadata.Type, "genai_off_unchecked"),
			check: func(t *testing.T, cfg *Config) {
				assert.False(t, cfg.GenAI.Enabled, "genai is off by default; its keys are not checked while off")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "s3cret", "a password must not reach a config error")
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg.(*Config))
		})
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Redis.Password = "hunter2"
	cfg.Redis.Endpoint = "bad"
	err := cfg.Validate()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestInstanceIDDefaultsToHostAndPartition(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Redis.Partition = PartitionConfig{Count: 3, Index: 2}
	host, err := os.Hostname()
	require.NoError(t, err)
	assert.Equal(t, host+"-p2", cfg.instanceID(), "stable across restarts of the same replica")
	cfg.InstanceID = "tier1-a"
	assert.Equal(t, "tier1-a", cfg.instanceID())
}
