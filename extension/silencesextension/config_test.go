package silencesextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension/internal/metadata"
)

func TestConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		name    string
		check   func(t *testing.T, cfg *Config)
		wantErr string
	}{
		{name: "", check: func(t *testing.T, cfg *Config) {
			assert.Equal(t, createDefaultConfig(), cfg)
			assert.Equal(t, "localhost:19093", cfg.NetAddr.Endpoint)
			assert.Nil(t, cfg.Storage)
			assert.Equal(t, 1000, cfg.MaxSilences)
			assert.Equal(t, 120*time.Hour, cfg.Retention)
			assert.False(t, cfg.Auth.HasValue())
		}},
		{name: "custom", check: func(t *testing.T, cfg *Config) {
			assert.Equal(t, "0.0.0.0:29093", cfg.NetAddr.Endpoint)
			require.NotNil(t, cfg.Storage)
			assert.Equal(t, component.MustNewID("file_storage"), *cfg.Storage)
			assert.Equal(t, 50, cfg.MaxSilences)
			assert.Equal(t, 24*time.Hour, cfg.Retention)
			require.True(t, cfg.Auth.HasValue())
			assert.Equal(t, component.MustNewID("bearertokenauth"), cfg.Auth.Get().Config.AuthenticatorID)
		}},
		{name: "no_endpoint", wantErr: "endpoint: must be set"},
		{name: "bad_endpoint", wantErr: `endpoint: "localhost" is not host:port`},
		{name: "zero_max", wantErr: "max_silences: must be between 1 and 100000, got 0"},
		{name: "negative_retention", wantErr: "retention: must not be negative, got -1h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
			require.NoError(t, err)
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg)
		})
	}
}
