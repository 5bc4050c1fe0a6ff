package alertmanagerexporter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertmanagertest"
)

// The README's YAML must hold: the collector example loads and validates with this exporter's
// config, and the Alertmanager example passes the real `amtool check-config`.
func TestReadmeExamplesAreValid(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := strings.Split(string(raw), "```yaml\n")[1:]
	require.Len(t, blocks, 2)
	exporters, amConfigs := 0, 0
	for _, b := range blocks {
		text := b[:strings.Index(b, "```")]
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(text), &doc))
		if _, ok := doc["route"]; ok {
			path := filepath.Join(t.TempDir(), "alertmanager.yml")
			require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
			_, err := alertmanagertest.Amtool(t, "http://127.0.0.1:1", "check-config", path)
			require.NoError(t, err, "amtool check-config")
			amConfigs++
			continue
		}
		sub, err := confmap.NewFromStringMap(doc).Sub("exporters::alertmanager")
		require.NoError(t, err)
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		require.NoError(t, sub.Unmarshal(cfg))
		require.NoError(t, confmap.Validate(cfg))
		assert.Len(t, cfg.endpointList(), 2)
		exporters++
	}
	assert.Equal(t, 1, exporters)
	assert.Equal(t, 1, amConfigs)
}

// Every config key is documented in the README's configuration table.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(raw), "## Configuration\n")
	require.True(t, ok)
	table, _, _ = strings.Cut(table, "```yaml")
	for _, key := range []string{"endpoints", "generator_url", "resend_interval", "resolved_resend_for", "send_muted",
		"max_tracked_alerts", "storage", "timeout", "headers", "auth", "tls", "sending_queue", "retry_on_failure"} {
		assert.True(t, strings.Contains(table, "`"+key+"`"), "the configuration table documents %s", key)
	}
}
