package workerhealthprocessor

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
		{
			id: component.NewIDWithName(metadata.Type, "framework"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, ProfileFramework, cfg.Profile)
				assert.InDelta(t, 0.5, cfg.FailedErrorRate, 1e-9)
				assert.InDelta(t, 0.2, cfg.ErrorRateThreshold, 1e-9)
				assert.InDelta(t, 0.1, cfg.RecoveryErrorRate, 1e-9)
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "framework_override"),
			check: func(t *testing.T, cfg *Config) {
				assert.InDelta(t, 0.3, cfg.ErrorRateThreshold, 1e-9, "a key written next to the profile wins")
				assert.InDelta(t, 0.1, cfg.RecoveryErrorRate, 1e-9, "keys not written keep the profile's value")
				assert.Equal(t, 2*time.Minute, cfg.InactiveAfter, "the deprecated key still loads (and is ignored)")
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "unresponsive"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, time.Duration(0), cfg.UnresponsiveAfter, "0: only the per-command timeout")
				assert.Equal(t, 20, cfg.MinExecutions)
				assert.Equal(t, 5*time.Minute, createDefaultConfig().(*Config).UnresponsiveAfter)
				assert.Equal(t, 10, createDefaultConfig().(*Config).MinExecutions)
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "span_metrics"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, ReportRecent, cfg.ReportWindow)
				require.Len(t, cfg.Inputs, 2)
				assert.Equal(t, receiverInput(), cfg.Inputs[0])
				assert.Equal(t, InputConfig{
					ExecutionsMetric: "traces.span.metrics.calls",
					DurationMetric:   "traces.span.metrics.duration",
					WorkerAttribute:  "span.name",
					NamePrefix:       "worker.",
					StatusAttribute:  "status.code",
					ErrorValues:      []string{"STATUS_CODE_ERROR"},
				}, cfg.Inputs[1])
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "shipped"),
			check: func(t *testing.T, cfg *Config) {
				want := createDefaultConfig().(*Config)
				want.ReportWindow = ReportRecent
				want.Inputs = []InputConfig{receiverInput(), spanMetricsInput()}
				assert.Equal(t, want, cfg)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "bad_interval"), wantErr: "health_check_interval: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "bad_threshold"), wantErr: "error_rate_threshold: must be in (0, 1]"},
		{id: component.NewIDWithName(metadata.Type, "bad_failed_rate"), wantErr: "failed_error_rate: must be in (0, 1]"},
		{id: component.NewIDWithName(metadata.Type, "recovery_above_threshold"), wantErr: "recovery_error_rate: 0.2 must not exceed error_rate_threshold"},
		{id: component.NewIDWithName(metadata.Type, "threshold_above_failed"), wantErr: "error_rate_threshold: 0.6 must not exceed failed_error_rate"},
		{id: component.NewIDWithName(metadata.Type, "recent_longer_than_window"), wantErr: "recent_window: 2h0m0s must not exceed performance_window"},
		{id: component.NewIDWithName(metadata.Type, "bad_performance_window"), wantErr: "performance_window: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "bad_slow_threshold"), wantErr: "slow_execution_threshold: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_workers"), wantErr: "max_workers: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "bad_worker_ttl"), wantErr: "worker_ttl: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "ttl_below_recent_window"), wantErr: "worker_ttl: 1m0s must be at least recent_window 5m0s"},
		{id: component.NewIDWithName(metadata.Type, "bad_unresponsive_after"), wantErr: "unresponsive_after: must be 0 (per-command timeout only) or positive, got -5s"},
		{id: component.NewIDWithName(metadata.Type, "bad_min_executions"), wantErr: "min_executions: must be at least 1, got 0"},
		{id: component.NewIDWithName(metadata.Type, "input_overdue_metric_read_twice"), wantErr: `inputs[0].oldest_pending_age_metric: metric "multiagents.worker.commands.overdue" is already read by inputs[0].overdue_metric`},
		{id: component.NewIDWithName(metadata.Type, "bad_profile"), wantErr: `profile: must be "guide" or "framework", got "strict"`},
		{id: component.NewIDWithName(metadata.Type, "bad_report_window"), wantErr: `report_window: must be "performance" or "recent"`},
		{id: component.NewIDWithName(metadata.Type, "no_inputs"), wantErr: "inputs: at least one input is required"},
		{id: component.NewIDWithName(metadata.Type, "input_without_metrics"), wantErr: "inputs[0]: set executions_metric, duration_metric or both"},
		{id: component.NewIDWithName(metadata.Type, "input_without_worker_attribute"), wantErr: "inputs[0].worker_attribute: must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "input_without_status_attribute"), wantErr: "inputs[0].status_attribute: must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "input_without_error_values"), wantErr: "inputs[0].error_values: must list at least one value"},
		{id: component.NewIDWithName(metadata.Type, "input_metric_read_twice"), wantErr: `inputs[1].duration_metric: metric "multiagents.worker.duration" is already read by inputs[0].duration_metric`},
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

func TestConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
}
