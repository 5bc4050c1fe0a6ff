package silencesextension

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

// Every key of Config (the confighttp server settings as `endpoint` and `auth`) has a row in
// the README's configuration table, with the default the factory sets.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		key := strings.Split(typ.Field(i).Tag.Get("mapstructure"), ",")[0]
		if key == "" {
			continue
		}
		assert.Contains(t, readme, "| `"+key+"` |", "README.md has no row for %s", key)
	}
	for _, key := range []string{"endpoint", "auth"} {
		assert.Contains(t, readme, "| `"+key+"` |")
	}
	assert.Contains(t, readme, "| `endpoint` | `"+DefaultEndpoint+"` |")
	assert.Contains(t, readme, "| `max_silences` | `1000` |")
	assert.Contains(t, readme, "| `retention` | `120h` |")
	for _, m := range []string{"otelcol_extension_silences`", "otelcol_extension_silences_refused", "otelcol_extension_silences_forgotten", "otelcol_extension_silences_storage_errors"} {
		assert.Contains(t, readme, m)
	}
}

// The README's example configuration is valid.
func TestReadmeExampleIsValid(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	require.NotEmpty(t, blocks)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(blocks[0][1]), &doc))
	sub, err := confmap.NewFromStringMap(doc).Sub("extensions::silences")
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	require.NotNil(t, cfg.Storage)
	assert.Equal(t, "file_storage", cfg.Storage.String())
	assert.True(t, cfg.Auth.HasValue())
}
