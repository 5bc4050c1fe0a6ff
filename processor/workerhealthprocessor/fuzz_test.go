package workerhealthprocessor

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

// FuzzIngest feeds arbitrary metrics through ingestion and evaluation: nothing may panic, and
// every worker reported has exactly one current state.
func FuzzIngest(f *testing.F) {
	var m pmetric.ProtoMarshaler
	for _, md := range []pmetric.Metrics{receiverBatch(3, cumulativeTemporality), receiverBatch(2, delta), spanMetricsBatch(2)} {
		b, err := m.MarshalMetrics(md)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	bad := pmetric.NewMetrics()
	addExecutions(bad, cumulativeTemporality, t0, t0, "", "", -5)
	addDurations(bad, cumulativeTemporality, t0, t0, "x", []float64{2, 1}, []uint64{1}, -1)
	b, _ := m.MarshalMetrics(bad)
	f.Add(b)

	cfg := testConfig()
	cfg.MaxWorkers = 50
	cfg.Inputs = []InputConfig{receiverInput(), spanMetricsInput()}
	var u pmetric.ProtoUnmarshaler
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := u.UnmarshalMetrics(data)
		if err != nil {
			return
		}
		tr := newTestTracker(cfg)
		for i := range 3 {
			now := t0.Add(time.Duration(i+1) * 10 * time.Second).UnixNano()
			tr.ingest(md, now)
			s := series(tr.evaluate(now))
			current := map[string]int{}
			for k, v := range s {
				if strings.HasPrefix(k, metricHealth+"{") && v == 1 {
					current[k[strings.Index(k, "worker.name="):]]++
				}
			}
			for w, n := range current {
				if n != 1 {
					t.Fatalf("%s has %d current states", w, n)
				}
			}
			if tr.workers.len() > cfg.MaxWorkers {
				t.Fatalf("%d workers tracked, cap %d", tr.workers.len(), cfg.MaxWorkers)
			}
		}
	})
}
