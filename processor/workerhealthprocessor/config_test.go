package workerhealthprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
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
			id: component.NewIDWithName(metadata.Type, "production"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, 15*time.Second, cfg.HealthCheckInterval)
				assert.InDelta(t, 0.05, cfg.ErrorRateThreshold, 1e-9)
				assert.InDelta(t, 0.02, cfg.RecoveryErrorRate, 1e-9)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "bad_interval"), wantErr: "health_check_interval"},
		{id: component.NewIDWithName(metadata.Type, "bad_threshold"), wantErr: "error_rate_threshold"},
		{id: component.NewIDWithName(metadata.Type, "recovery_above_threshold"), wantErr: "recovery_error_rate"},
		{id: component.NewIDWithName(metadata.Type, "recent_longer_than_window"), wantErr: "recent_window"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_workers"), wantErr: "max_workers"},
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
