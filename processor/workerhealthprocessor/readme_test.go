package workerhealthprocessor

import (
	"os"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

// The README's YAML must load and validate: every worker_health block with this processor's
// config, and the span_metrics connector block with the real connector's config.
func TestReadmeExamplesAreValid(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := strings.Split(string(raw), "```yaml\n")[1:]
	require.Len(t, blocks, 2)
	processors, connectors := 0, 0
	for _, b := range blocks {
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(b[:strings.Index(b, "```")]), &doc))
		conf := confmap.NewFromStringMap(doc)
		procs, err := conf.Sub("processors")
		require.NoError(t, err)
		for id := range procs.ToStringMap() {
			sub, err := procs.Sub(id)
			require.NoError(t, err)
			cfg := NewFactory().CreateDefaultConfig()
			require.NoError(t, sub.Unmarshal(cfg), id)
			require.NoError(t, confmap.Validate(cfg), id)
			processors++
		}
		if conf.IsSet("connectors::span_metrics") {
			sub, err := conf.Sub("connectors::span_metrics")
			require.NoError(t, err)
			cfg := spanmetricsconnector.NewFactory().CreateDefaultConfig()
			require.NoError(t, sub.Unmarshal(cfg))
			require.NoError(t, confmap.Validate(cfg))
			connectors++

			wh, err := conf.Sub("processors::worker_health")
			require.NoError(t, err)
			whCfg := NewFactory().CreateDefaultConfig().(*Config)
			require.NoError(t, wh.Unmarshal(whCfg))
			assert.Equal(t, []InputConfig{receiverInput(), spanMetricsInput()}, whCfg.Inputs, "the tested span_metrics mapping")
		}
	}
	assert.Equal(t, 3, processors)
	assert.Equal(t, 1, connectors)
}
