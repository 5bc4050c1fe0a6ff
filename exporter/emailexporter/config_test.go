package emailexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/emailexporter/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	tests := []struct {
		name    string
		check   func(t *testing.T, cfg *Config)
		wantErr string
	}{
		{
			name: "",
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, createDefaultConfig(), cfg)
				assert.Equal(t, TLSStartTLS, cfg.TLS)
				assert.Equal(t, "warning", cfg.MinSeverity)
				assert.Equal(t, 30*time.Second, cfg.GroupWait)
				assert.Equal(t, 4*time.Hour, cfg.RepeatInterval)
				assert.True(t, cfg.SendResolved)
				assert.Equal(t, 1, cfg.QueueConfig.Get().NumConsumers)
				assert.False(t, cfg.enabled(), "no endpoint and no recipients: disabled")
			},
		},
		{
			name: "custom",
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, "smtp.example.com:587", cfg.Endpoint)
				assert.Equal(t, "alerts", cfg.Username)
				assert.Equal(t, "s3cret-pass", string(cfg.Password))
				assert.Equal(t, []string{"oncall@example.com", "Ops Team <ops@example.com>"}, cfg.To)
				assert.Equal(t, "error", cfg.MinSeverity)
				assert.Equal(t, 10*time.Second, cfg.GroupWait)
				assert.Equal(t, time.Hour, cfg.RepeatInterval)
				assert.False(t, cfg.SendResolved)
				assert.Equal(t, 20*time.Second, cfg.TimeoutConfig.Timeout)
				assert.Equal(t, 10*time.Minute, cfg.BackOffConfig.MaxElapsedTime)
				assert.True(t, cfg.enabled())
			},
		},
		{name: "implicit", check: func(t *testing.T, cfg *Config) { assert.Equal(t, TLSImplicit, cfg.TLS) }},
		{name: "to_from_env_string", check: func(t *testing.T, cfg *Config) {
			assert.Equal(t, []string{"a@example.com", "b@example.com"}, cfg.To)
		}},
		{name: "to_empty_string", check: func(t *testing.T, cfg *Config) {
			assert.Empty(t, cfg.To)
			assert.False(t, cfg.enabled())
		}},
		{name: "no_to", check: func(t *testing.T, cfg *Config) { assert.False(t, cfg.enabled()) }},
		{name: "none_with_insecure", check: func(t *testing.T, cfg *Config) { assert.Equal(t, TLSNone, cfg.TLS) }},
		{name: "none_without_insecure", wantErr: "tls: none sends the mail and the password in clear text"},
		{name: "bad_tls", wantErr: `tls: "ssl" is not one of starttls, implicit, none`},
		{name: "bad_endpoint", wantErr: "endpoint: must be host:port"},
		{name: "bad_port", wantErr: "endpoint: port must be a number from 1 to 65535"},
		{name: "no_host", wantErr: "endpoint: has no host"},
		{name: "url_with_password", wantErr: "endpoint: must be host:port"},
		{name: "bad_from", wantErr: "from: \"not an address\" is not a mail address"},
		{name: "no_from", wantErr: "from: required when endpoint and to are set"},
		{name: "bad_to", wantErr: "to[1]: \"not an address\" is not a mail address"},
		{name: "empty_to_entry", wantErr: "to[1]: empty address"},
		{name: "password_without_username", wantErr: "password: set without username"},
		{name: "username_without_password", wantErr: "password: required when username is set"},
		{name: "bad_subject_template", wantErr: "subject_template:"},
		{name: "bad_body_template", wantErr: "body_template:"},
		{name: "negative_group_wait", wantErr: "group_wait: must not be negative"},
		{name: "zero_timeout", wantErr: "timeout: must be positive"},
		{name: "two_consumers", wantErr: "sending_queue::num_consumers: must be 1"},
		{name: "bad_min_severity", wantErr: "min_severity:"},
		{name: "bad_repeat_interval", wantErr: "repeat_interval: must be positive"},
		{name: "bad_ca_file", wantErr: "ca_file:"},
		{name: "ca_file_with_none", wantErr: "ca_file: has no use with tls: none"},
	}
	for _, tt := range tests {
		id := component.NewIDWithName(metadata.Type, tt.name)
		t.Run(id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "s3cret-pass", "the password is a secret")
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg.(*Config))
		})
	}
}
