package alertprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
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
				assert.Nil(t, cfg.Storage, "no storage unless configured")
				assert.Nil(t, cfg.Silences, "no silences unless configured")
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "rules"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, 10*time.Second, cfg.EvaluationInterval)
				assert.False(t, cfg.EvaluateOnArrival)
				assert.Equal(t, time.Second, cfg.MinEvaluationInterval)
				require.NotNil(t, cfg.Storage)
				assert.Equal(t, component.MustNewID("file_storage"), *cfg.Storage)
				require.NotNil(t, cfg.Silences)
				assert.Equal(t, component.MustNewID("silences"), *cfg.Silences)
				require.Len(t, cfg.Rules, 2)
				r := cfg.Rules[0]
				assert.Equal(t, "high_error_rate", r.Name)
				assert.Equal(t, []string{"worker.name"}, r.GroupBy)
				assert.Equal(t, time.Minute, r.For)
				assert.Equal(t, 2*time.Minute, r.KeepFiringFor)
				assert.Equal(t, 15*time.Minute, r.Cooldown)
				assert.Equal(t, map[string]string{"team": "payments"}, r.Labels)
				assert.Equal(t, map[string]string{
					"summary":     "{{ worker.name }} of {{ team }} fails at {{ $value }}",
					"runbook_url": "https://runbooks.example/high-error-rate",
				}, r.Annotations)
				assert.Equal(t, 5, cfg.MaxTraceIDs)
				assert.Equal(t, "absent", cfg.Rules[1].Kind)
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "ratio_and_inhibit"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, 20, cfg.MinSamples)
				require.Len(t, cfg.Rules, 2)
				r := cfg.Rules[0]
				assert.Equal(t, fnRatio, r.Function)
				assert.Equal(t, map[string]string{"status": "error"}, r.RatioMatch)
				assert.Equal(t, 10, r.MinSamples)
				assert.Equal(t, []InhibitRule{{
					SourceMatchers:    []string{`alertname="worker_failure"`},
					TargetMatchers:    []string{`alertname="high_error_rate"`, `severity=~"warning|info"`},
					Equal:             []string{"worker.name"},
					KeepInhibitingFor: 5 * time.Minute,
				}}, cfg.InhibitRules)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "bad_interval"), wantErr: "evaluation_interval"},
		{id: component.NewIDWithName(metadata.Type, "bad_min_evaluation_interval"), wantErr: "min_evaluation_interval: must not be negative, got -1s"},
		{id: component.NewIDWithName(metadata.Type, "label_shadows_group"), wantErr: "rules[0] (r).labels.worker.name: is also a group_by label"},
		{id: component.NewIDWithName(metadata.Type, "annotation_unknown_label"), wantErr: "rules[0] (r).annotations.summary: {{ worker.name }} is neither a group_by nor a static label"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_trace_ids"), wantErr: "max_trace_ids: must be between 0 and 20, got 21"},
		{id: component.NewIDWithName(metadata.Type, "bad_min_samples"), wantErr: "min_samples: must be at least 1"},
		{id: component.NewIDWithName(metadata.Type, "negative_rule_min_samples"), wantErr: "rules[0] (r).min_samples: must not be negative"},
		{id: component.NewIDWithName(metadata.Type, "min_samples_without_ratio"), wantErr: "rules[0] (r).min_samples: is only used by function ratio, not value"},
		{id: component.NewIDWithName(metadata.Type, "ratio_without_ratio_match"), wantErr: "rules[0] (r).ratio_match: function ratio needs ratio_match"},
		{id: component.NewIDWithName(metadata.Type, "ratio_match_without_ratio"), wantErr: "rules[0] (r).ratio_match: is only used by function ratio, not value"},
		{id: component.NewIDWithName(metadata.Type, "ratio_match_bad_regex"), wantErr: "rules[0] (r).ratio_match.status: bad regular expression"},
		{id: component.NewIDWithName(metadata.Type, "ratio_match_empty_name"), wantErr: "rules[0] (r).ratio_match: attribute name must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "ratio_with_aggregate"), wantErr: "rules[0] (r).aggregate: function ratio divides the group's summed increases"},
		{id: component.NewIDWithName(metadata.Type, "ratio_without_window"), wantErr: "rules[0] (r).window: function ratio needs a positive window"},
		{id: component.NewIDWithName(metadata.Type, "ratio_on_known_gauge"), wantErr: "rules[0] (r).function: ratio does not apply to a gauge"},
		{id: component.NewIDWithName(metadata.Type, "absent_with_ratio_match"), wantErr: "rules[0] (r).ratio_match: an absent rule takes no ratio_match"},
		{id: component.NewIDWithName(metadata.Type, "absent_with_min_samples"), wantErr: "rules[0] (r).min_samples: an absent rule takes no min_samples"},
		{id: component.NewIDWithName(metadata.Type, "inhibit_without_source"), wantErr: "inhibit_rules[0].source_matchers: needs at least one matcher"},
		{id: component.NewIDWithName(metadata.Type, "inhibit_without_target"), wantErr: "inhibit_rules[0].target_matchers: needs at least one matcher"},
		{id: component.NewIDWithName(metadata.Type, "inhibit_bad_matcher"), wantErr: `inhibit_rules[0].source_matchers[1]: "alertname bus_silent" is not a matcher`},
		{id: component.NewIDWithName(metadata.Type, "inhibit_bad_regex"), wantErr: `inhibit_rules[0].target_matchers[0]: "alertname=~\"(b\"": bad regular expression`},
		{id: component.NewIDWithName(metadata.Type, "inhibit_bad_quoting"), wantErr: `inhibit_rules[0].source_matchers[0]: "alertname=\"a": value "a is not a well-formed double-quoted string`},
		{id: component.NewIDWithName(metadata.Type, "inhibit_empty_equal"), wantErr: "inhibit_rules[0].equal[0]: must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "inhibit_negative_keep"), wantErr: "inhibit_rules[0].keep_inhibiting_for: must not be negative"},
		{id: component.NewIDWithName(metadata.Type, "inhibit_keep_beyond_retention"), wantErr: "inhibit_rules[0].keep_inhibiting_for: 5m0s is longer than resolved_retention (1m0s)"},
		{id: component.NewIDWithName(metadata.Type, "inhibit_duplicate_equal"), wantErr: `inhibit_rules[0].equal[1]: duplicate label "worker.name"`},
		{id: component.NewIDWithName(metadata.Type, "duplicate_name"), wantErr: `rules[1] (a).name: duplicate rule name "a"`},
		{id: component.NewIDWithName(metadata.Type, "bad_severity"), wantErr: "rules[0] (r).severity"},
		{id: component.NewIDWithName(metadata.Type, "bad_operator"), wantErr: "rules[0] (r).condition"},
		{id: component.NewIDWithName(metadata.Type, "bad_function"), wantErr: "rules[0] (r).function"},
		{id: component.NewIDWithName(metadata.Type, "rate_without_window"), wantErr: "rules[0] (r).window"},
		{id: component.NewIDWithName(metadata.Type, "bad_stale_after"), wantErr: "stale_after: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "bad_resolved_retention"), wantErr: "resolved_retention: must not be negative"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_instances"), wantErr: "max_instances: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "bad_max_series"), wantErr: "max_series: must be positive"},
		{id: component.NewIDWithName(metadata.Type, "empty_name"), wantErr: "rules[0].name: must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "bad_kind"), wantErr: `rules[0] (r).kind: "rate_of_change"`},
		{id: component.NewIDWithName(metadata.Type, "empty_metric"), wantErr: "rules[0] (r).metric: must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "bad_threshold"), wantErr: "rules[0] (r).condition: threshold"},
		{id: component.NewIDWithName(metadata.Type, "bad_aggregate"), wantErr: `rules[0] (r).aggregate: "median"`},
		{id: component.NewIDWithName(metadata.Type, "negative_for"), wantErr: "rules[0] (r).for: must not be negative"},
		{id: component.NewIDWithName(metadata.Type, "negative_keep_firing_for"), wantErr: "rules[0] (r).keep_firing_for: must not be negative"},
		{id: component.NewIDWithName(metadata.Type, "negative_cooldown"), wantErr: "rules[0] (r).cooldown: must not be negative"},
		{id: component.NewIDWithName(metadata.Type, "quantile_out_of_range"), wantErr: "rules[0] (r).quantile: must be in (0, 1)"},
		{id: component.NewIDWithName(metadata.Type, "quantile_without_quantile_function"), wantErr: "rules[0] (r).quantile: is only used by function quantile"},
		{id: component.NewIDWithName(metadata.Type, "quantile_on_known_gauge"), wantErr: "rules[0] (r).function: quantile does not apply to a gauge"},
		{id: component.NewIDWithName(metadata.Type, "rate_on_known_gauge"), wantErr: "rules[0] (r).function: rate does not apply to a gauge"},
		{id: component.NewIDWithName(metadata.Type, "value_on_known_histogram"), wantErr: "rules[0] (r).function: value does not apply to a histogram"},
		{id: component.NewIDWithName(metadata.Type, "bad_regex"), wantErr: "rules[0] (r).match.worker.name: bad regular expression"},
		{id: component.NewIDWithName(metadata.Type, "empty_group_label"), wantErr: "rules[0] (r).group_by[0]: must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "duplicate_group_label"), wantErr: `rules[0] (r).group_by[1]: duplicate label "a"`},
		{id: component.NewIDWithName(metadata.Type, "description_unknown_label"), wantErr: "rules[0] (r).description: {{ workflow.id }} is not a group_by label"},
		{id: component.NewIDWithName(metadata.Type, "description_unclosed"), wantErr: "rules[0] (r).description: unclosed"},
		{id: component.NewIDWithName(metadata.Type, "absent_without_window"), wantErr: "rules[0] (r).window: an absent rule needs a positive window"},
		{id: component.NewIDWithName(metadata.Type, "absent_with_group_by"), wantErr: "rules[0] (r).group_by: an absent rule has no series to group"},
		{id: component.NewIDWithName(metadata.Type, "absent_with_condition"), wantErr: "rules[0] (r).condition: an absent rule takes no condition"},
		{id: component.NewIDWithName(metadata.Type, "absent_with_function"), wantErr: "rules[0] (r).function: an absent rule takes no function"},
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
