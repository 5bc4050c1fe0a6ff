package alertmanagerexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/alertmanagerexporter/internal/metadata"
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
				assert.Empty(t, cfg.endpointList(), "off by default")
				assert.Equal(t, time.Minute, cfg.ResendInterval, "Prometheus's resend_delay, below Alertmanager's resolve_timeout")
				assert.Equal(t, 15*time.Minute, cfg.ResolvedResendFor)
				assert.True(t, cfg.SendMuted, "muted instances go to Alertmanager, as Prometheus sends them")
				assert.Equal(t, 10*time.Second, cfg.ClientConfig.Timeout)
			},
		},
		{
			id:    component.NewIDWithName(metadata.Type, "empty_string"),
			check: func(t *testing.T, cfg *Config) { assert.Empty(t, cfg.endpointList()) },
		},
		{
			id: component.NewIDWithName(metadata.Type, "ha_pair"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, []string{"http://am-1:9093", "https://am-2.example.com/alertmanager/"}, cfg.endpointList())
				assert.Equal(t, "https://grafana.example.com/d/multiagents", cfg.GeneratorURL)
				assert.Equal(t, 30*time.Second, cfg.ResendInterval)
				assert.Equal(t, time.Hour, cfg.ResolvedResendFor)
				assert.False(t, cfg.SendMuted)
				assert.Equal(t, 500, cfg.MaxTrackedAlerts)
				require.NotNil(t, cfg.Storage)
				assert.Equal(t, "file_storage", cfg.Storage.String())
				assert.Equal(t, 5*time.Second, cfg.ClientConfig.Timeout)
				assert.Equal(t, time.Second, cfg.BackOffConfig.InitialInterval)
				v, ok := cfg.ClientConfig.Headers.Get("X-Scope-OrgID")
				require.True(t, ok)
				assert.Equal(t, "multiagents", string(v))
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "comma_separated"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, []string{"http://am-1:9093", "http://am-2:9093"}, cfg.endpointList())
			},
		},
		{id: component.NewIDWithName(metadata.Type, "bad_scheme"), wantErr: "endpoints[0]: not an http(s) URL"},
		{id: component.NewIDWithName(metadata.Type, "with_query"), wantErr: "endpoints[0]: must be a base URL"},
		{id: component.NewIDWithName(metadata.Type, "twice"), wantErr: "endpoints[1]: http://am:9093 is listed twice"},
		{id: component.NewIDWithName(metadata.Type, "single_endpoint_key"), wantErr: "endpoint: not used by this exporter"},
		{id: component.NewIDWithName(metadata.Type, "credentials_in_bad_url"), wantErr: "endpoints[0]"},
		{id: component.NewIDWithName(metadata.Type, "bad_generator_url"), wantErr: "generator_url"},
		{id: component.NewIDWithName(metadata.Type, "zero_resend_interval"), wantErr: "resend_interval: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "negative_resolved_resend_for"), wantErr: "resolved_resend_for: must not be negative"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_tracked_alerts"), wantErr: "max_tracked_alerts: must be positive"},
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
				assert.NotContains(t, err.Error(), "s3cret", "credentials in an endpoint URL are never shown")
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg.(*Config))
		})
	}
}
