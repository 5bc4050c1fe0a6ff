package slackexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/slackexporter/internal/metadata"
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
				assert.Equal(t, []string{"alertname"}, cfg.GroupBy)
				assert.Equal(t, 2*time.Second, cfg.GroupWait)
				assert.Equal(t, time.Minute, cfg.GroupInterval)
				assert.Equal(t, 1000, cfg.MaxGroups)
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "#alerts", cfg.Channel)
				assert.Equal(t, time.Hour, cfg.RepeatInterval)
				assert.Equal(t, 1, cfg.QueueConfig.Get().NumConsumers)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "http_not_allowed"), wantErr: "webhook_url: scheme must be https"},
		{id: component.NewIDWithName(metadata.Type, "http_allowed"), check: func(t *testing.T, cfg *Config) { assert.True(t, cfg.InsecureAllowHTTP) }},
		{id: component.NewIDWithName(metadata.Type, "not_a_url"), wantErr: "webhook_url: not a valid URL"},
		{id: component.NewIDWithName(metadata.Type, "bad_rate_limit"), wantErr: "rate_limit"},
		{id: component.NewIDWithName(metadata.Type, "bad_repeat_interval"), wantErr: "repeat_interval"},
		{
			id: component.NewIDWithName(metadata.Type, "full"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "warning", cfg.MinSeverity)
				assert.False(t, cfg.SendResolved)
				assert.Equal(t, 0.5, cfg.RateLimit)
				assert.Equal(t, 500, cfg.MaxTrackedAlerts)
				assert.Equal(t, 50, cfg.MaxGroups)
				assert.Equal(t, []string{"alertname", "worker.name"}, cfg.GroupBy)
				assert.Equal(t, 5*time.Second, cfg.GroupWait)
				assert.Equal(t, 2*time.Minute, cfg.GroupInterval)
				require.NotNil(t, cfg.Storage)
				assert.Equal(t, component.MustNewID("file_storage"), *cfg.Storage)
				assert.Equal(t, "rule", cfg.LogAlerts.NameAttribute)
				assert.Equal(t, []string{"worker.name", "workflow.id"}, cfg.LogAlerts.FingerprintAttributes)
				assert.Equal(t, 10*time.Second, cfg.TimeoutConfig.Timeout)
				assert.NotEmpty(t, cfg.TitleTemplate)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "group_by_everything"), check: func(t *testing.T, cfg *Config) {
			assert.Equal(t, []string{"..."}, cfg.GroupBy)
		}},
		{id: component.NewIDWithName(metadata.Type, "one_group"), check: func(t *testing.T, cfg *Config) { assert.Empty(t, cfg.GroupBy) }},
		{id: component.NewIDWithName(metadata.Type, "bad_group_by"), wantErr: `group_by[1]: "..." must stand alone`},
		{id: component.NewIDWithName(metadata.Type, "bad_group_by"), wantErr: `group_by[2]: "alertname" is listed twice`},
		{id: component.NewIDWithName(metadata.Type, "bad_group_by"), wantErr: "group_by[3]: must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "bad_group_timers"), wantErr: "group_wait: must not be negative"},
		{id: component.NewIDWithName(metadata.Type, "bad_group_timers"), wantErr: "group_interval: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_groups"), wantErr: "max_groups: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "bad_min_severity"), wantErr: `min_severity: "page" is not one of`},
		{id: component.NewIDWithName(metadata.Type, "bad_title_template"), wantErr: "title_template:"},
		{id: component.NewIDWithName(metadata.Type, "bad_text_template"), wantErr: "text_template:"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_tracked_alerts"), wantErr: "max_tracked_alerts"},
		{id: component.NewIDWithName(metadata.Type, "empty_name_attribute"), wantErr: "log_alerts.name_attribute"},
		{id: component.NewIDWithName(metadata.Type, "empty_fingerprint_attribute"), wantErr: "log_alerts.fingerprint_attributes[1]"},
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
				assert.NotContains(t, err.Error(), "127.0.0.1:8080", "the webhook URL is a secret")
				assert.NotContains(t, err.Error(), "XXXXXXXX", "the webhook URL is a secret")
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg.(*Config))
		})
	}
}
