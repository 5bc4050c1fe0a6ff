package alertprocessor

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

// readmeYAMLBlocks returns the README's ```yaml blocks, parsed.
func readmeYAMLBlocks(t *testing.T) (string, []map[string]any) {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var docs []map[string]any
	for _, b := range strings.Split(string(raw), "```yaml\n")[1:] {
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(b[:strings.Index(b, "```")]), &doc))
		docs = append(docs, doc)
	}
	return string(raw), docs
}

// The README's examples load and validate: the storage and full examples' alert blocks, and
// the inhibit_rules snippet as an alert block of its own.
func TestReadmeExamplesAreValid(t *testing.T) {
	_, docs := readmeYAMLBlocks(t)
	validated, withInhibitions := 0, 0
	for _, doc := range docs {
		conf := confmap.NewFromStringMap(doc)
		var sub *confmap.Conf
		switch {
		case conf.IsSet("processors::alert"):
			var err error
			sub, err = conf.Sub("processors::alert")
			require.NoError(t, err)
		case conf.IsSet("inhibit_rules"):
			sub = conf
		default:
			continue
		}
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		require.NoError(t, sub.Unmarshal(cfg))
		require.NoError(t, confmap.Validate(cfg))
		_, err := compileInhibitRules(cfg.InhibitRules)
		require.NoError(t, err)
		if len(cfg.InhibitRules) > 0 {
			withInhibitions++
		}
		validated++
	}
	assert.Equal(t, 3, validated)
	assert.Equal(t, 2, withInhibitions)
}

// Every configuration key is documented in a README table.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	readme, _ := readmeYAMLBlocks(t)
	for _, typ := range []reflect.Type{reflect.TypeFor[Config](), reflect.TypeFor[Rule](), reflect.TypeFor[InhibitRule]()} {
		for i := range typ.NumField() {
			key := typ.Field(i).Tag.Get("mapstructure")
			if key == "" {
				continue
			}
			assert.True(t, strings.Contains(readme, "| `"+key+"` |"), "no README table row for `%s` (%s.%s)", key, typ.Name(), typ.Field(i).Name)
		}
	}
}
