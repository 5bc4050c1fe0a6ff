package multiagentsreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

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
				assert.Equal(t, 30*time.Second, cfg.Metrics.Interval)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "bad_endpoint"), wantErr: "redis.endpoint"},
		{id: component.NewIDWithName(metadata.Type, "bad_db"), wantErr: "redis.db"},
		{id: component.NewIDWithName(metadata.Type, "empty_prefix"), wantErr: "redis.channel_prefix"},
		{id: component.NewIDWithName(metadata.Type, "bad_interval"), wantErr: "metrics.interval"},
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
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg.(*Config))
		})
	}
}
