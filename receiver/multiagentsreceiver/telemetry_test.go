package multiagentsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Every own metric point carries receiver=<component id>, as the collector's otelcol_receiver_*
// metrics do, so two multiagents receivers never report the same series (which would make the
// collector's /metrics answer 500).
func TestOwnTelemetryCarriesTheComponentID(t *testing.T) {
	h := startHarness(t)
	const tx = "7f100000-0000-4000-8000-000000000001"
	h.publish(ch+"status.workflow", statusEvent("s", tx, "wf", "2025-08-05T00:00:00", "running", "Workflow started"))
	h.publish(ch+"command.w", commandEvent("c1", tx, "wf", "step", "w", "2025-08-05T00:00:01", 10, `{}`))
	h.publish(ch+"command.w", `{"type": "command", "metadata": {}}`) // rejected: no transaction id
	h.waitProcessed(2)
	h.clock.Advance(20 * time.Second)
	h.recv.sweepNow()
	h.publish(ch+"result.w", resultEvent("r1", tx, "step", "w", "c1", "2025-08-05T00:00:30", true, "", `{}`)) // late
	require.Eventually(t, func() bool {
		return h.counterValue("otelcol_receiver_multiagents_duplicate_results", nil) == 1 &&
			h.counterValue("otelcol_receiver_multiagents_decode_errors", nil) == 1
	}, 5*time.Second, 10*time.Millisecond)

	for _, name := range []string{
		"otelcol_receiver_multiagents_decode_errors",
		"otelcol_receiver_multiagents_timed_out_steps",
		"otelcol_receiver_multiagents_duplicate_results",
	} {
		m, err := h.telemetry.GetMetric(name)
		require.NoError(t, err, name)
		points := m.Data.(metricdata.Sum[int64]).DataPoints
		require.NotEmpty(t, points, name)
		for _, dp := range points {
			id, ok := dp.Attributes.Value("receiver")
			if assert.True(t, ok, "%s point without the receiver attribute", name) {
				assert.Equal(t, h.recv.settings.ID.String(), id.AsString(), name)
			}
		}
	}
}
