package pagerdutyexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/pagerdutyexporter/internal/metadata"
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
			id:    component.NewID(metadata.Type),
			check: func(t *testing.T, cfg *Config) { assert.Equal(t, createDefaultConfig(), cfg) },
		},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "critical", cfg.MinSeverity)
				assert.Equal(t, "checkout-cluster", cfg.Source)
				assert.Equal(t, DefaultEndpoint, cfg.Endpoint)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "short_key"), wantErr: "routing_key: must be 32 characters, got 8"},
		{id: component.NewIDWithName(metadata.Type, "bad_endpoint"), wantErr: "endpoint"},
		{id: component.NewIDWithName(metadata.Type, "bad_severity"), wantErr: "min_severity"},
		{id: component.NewIDWithName(metadata.Type, "empty_source"), wantErr: "source"},
		{
			id: component.NewIDWithName(metadata.Type, "full"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "http://127.0.0.1:8089/v2/enqueue", cfg.Endpoint)
				assert.Equal(t, "https://grafana.example.com/d/alerts", cfg.ClientURL)
				assert.Equal(t, "error", cfg.MinSeverity, "pages error and critical by default")
				assert.Equal(t, "multiagents-framework", cfg.Source)
				require.NotNil(t, cfg.Storage)
				assert.Equal(t, 5.0, cfg.RateLimit)
				assert.Equal(t, []string{"alertname", "worker.name"}, cfg.GroupBy, "one incident per worker")
				assert.Equal(t, 5*time.Minute, cfg.GroupInterval)
				assert.Equal(t, 2*time.Second, cfg.GroupWait, "the short default")
			},
		},
		{id: component.NewIDWithName(metadata.Type, "bad_client_url"), wantErr: "client_url"},
		{id: component.NewIDWithName(metadata.Type, "bad_rate_limit"), wantErr: "rate_limit"},
		{id: component.NewIDWithName(metadata.Type, "bad_repeat_interval"), wantErr: "repeat_interval"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_tracked_alerts"), wantErr: "max_tracked_alerts"},
		{id: component.NewIDWithName(metadata.Type, "negative_timeout"), wantErr: "timeout: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "zero_timeout"), wantErr: "timeout: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "two_consumers"), wantErr: "sending_queue::num_consumers: must be 1"},
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
				assert.NotContains(t, err.Error(), "tooshort", "the routing key is a secret")
				assert.NotContains(t, err.Error(), "0123456789abcdef", "the routing key is a secret")
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg.(*Config))
		})
	}
}
