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
			id:    component.NewID(metadata.Type),
			check: func(t *testing.T, cfg *Config) { assert.Equal(t, createDefaultConfig(), cfg) },
		},
		{
			id: component.NewIDWithName(metadata.Type, "rules"),
			check: func(t *testing.T, cfg *Config) {
				assert.Equal(t, 10*time.Second, cfg.EvaluationInterval)
				require.Len(t, cfg.Rules, 2)
				r := cfg.Rules[0]
				assert.Equal(t, "high_error_rate", r.Name)
				assert.Equal(t, []string{"worker.name"}, r.GroupBy)
				assert.Equal(t, time.Minute, r.For)
				assert.Equal(t, 2*time.Minute, r.KeepFiringFor)
				assert.Equal(t, 15*time.Minute, r.Cooldown)
				assert.Equal(t, "absent", cfg.Rules[1].Kind)
			},
		},
		{id: component.NewIDWithName(metadata.Type, "bad_interval"), wantErr: "evaluation_interval"},
		{id: component.NewIDWithName(metadata.Type, "duplicate_name"), wantErr: `rules[1] (a).name: duplicate rule name "a"`},
		{id: component.NewIDWithName(metadata.Type, "bad_severity"), wantErr: "rules[0] (r).severity"},
		{id: component.NewIDWithName(metadata.Type, "bad_operator"), wantErr: "rules[0] (r).condition"},
		{id: component.NewIDWithName(metadata.Type, "bad_function"), wantErr: "rules[0] (r).function"},
		{id: component.NewIDWithName(metadata.Type, "rate_without_window"), wantErr: "rules[0] (r).window"},
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
