package multiagentsreceiver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// updateGoldenEnv set to 1 rewrites testdata/golden from what the receiver emits now (the
// tests then fail once, as golden.Write* does, so that a rewrite is never silent).
const updateGoldenEnv = "UPDATE_GOLDEN"

// TestGoldenShapes pushes a fixed set of framework events (testdata/events) through the
// receiver with the harness's fixed clock and compares the traces and the metrics emitted
// after them with testdata/golden. Everything is compared except what belongs to the
// machine: the host's CPU and memory readings and service.instance.id (the host name).
func TestGoldenShapes(t *testing.T) {
	for _, name := range []string{"ecommerce_completed", "ecommerce_compensated"} {
		t.Run(name, func(t *testing.T) {
			h := startHarness(t, withHTTP(1<<20))
			body, err := os.ReadFile(filepath.Join("testdata", "events", name+".json"))
			require.NoError(t, err)
			status, resp, _ := postEvents(t, h, body, nil)
			require.Equal(t, 200, status, "%+v", resp)
			// A workflow's root span waits for late compensations; let the fixed clock pass it.
			h.clock.Advance(cancelLinger)
			h.recv.sweepNow()

			traces := mergedTraces(h.traces.AllTraces())
			metrics := h.emitMetrics()

			tracesFile := filepath.Join("testdata", "golden", name+"_traces.yaml")
			metricsFile := filepath.Join("testdata", "golden", name+"_metrics.yaml")
			if os.Getenv(updateGoldenEnv) == "1" {
				require.NoError(t, golden.WriteTraces(t, tracesFile, traces))
				require.NoError(t, golden.WriteMetrics(t, metricsFile, metrics, golden.SkipMetricTimestampNormalization()))
				return
			}
			wantTraces, err := golden.ReadTraces(tracesFile)
			require.NoError(t, err)
			require.NoError(t, ptracetest.CompareTraces(wantTraces, traces,
				ptracetest.IgnoreResourceAttributeValue(attrServiceInstanceID),
				ptracetest.IgnoreResourceSpansOrder(), ptracetest.IgnoreScopeSpansOrder(), ptracetest.IgnoreSpansOrder()))
			wantMetrics, err := golden.ReadMetrics(metricsFile)
			require.NoError(t, err)
			require.NoError(t, pmetrictest.CompareMetrics(wantMetrics, metrics,
				pmetrictest.IgnoreResourceAttributeValue(attrServiceInstanceID),
				pmetrictest.IgnoreMetricsOrder(), pmetrictest.IgnoreMetricDataPointsOrder(),
				pmetrictest.IgnoreMetricValues(metricSystemCPU, metricSystemMemory)))
		})
	}
}

// mergedTraces puts every batch the sink received into one Traces, batch by batch.
func mergedTraces(batches []ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, td := range batches {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			td.ResourceSpans().At(i).CopyTo(out.ResourceSpans().AppendEmpty())
		}
	}
	return out
}
