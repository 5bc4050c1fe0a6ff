package multiagentsreceiver

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
)

// TestReadmeDocumentsEveryKey keeps README.md true to config.go: every key appears in the
// configuration table. The http and redis.tls sections are standard collector settings,
// documented as one row each.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	keys := configKeys(reflect.TypeOf(Config{}), "")
	require.Len(t, keys, 33, "the walk found every key: %v", keys)
	for _, key := range keys {
		assert.Contains(t, readme, "| `"+key+"` |", "README.md has no row for %s", key)
	}
	for _, reason := range []string{eventcodec.ReasonInvalidJSON, eventcodec.ReasonNotObject, eventcodec.ReasonWrongType, eventcodec.ReasonMissingType, eventcodec.ReasonUnknownType,
		eventcodec.ReasonMissingTransactionID, eventcodec.ReasonMissingCommandID, eventcodec.ReasonMissingEventName, eventcodec.ReasonBadTimestamp} {
		assert.Contains(t, readme, "`"+reason+"`")
	}
	for _, m := range []string{metricEvents, metricEventDuration, metricWorkerExecutions, metricWorkerDuration, metricWorkflows,
		metricWorkflowDuration, metricActiveWorkflows, metricSystemCPU, metricSystemMemory,
		metricCommandsPending, metricCommandsOldestAge, metricCommandsOverdue,
		metricBusConnected, metricBusDisconnectedSince,
		metricWorkflowOpen, metricWorkflowIdleAge, metricWorkflowStuck, metricGenAITokens} {
		assert.Contains(t, readme, "`"+m+"`")
	}
}

func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if tag == "" {
			continue
		}
		key := prefix + tag
		if f.Type.Kind() == reflect.Struct && key != "redis.tls" && f.Type.PkgPath() == t.PkgPath() {
			keys = append(keys, configKeys(f.Type, key+".")...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}
