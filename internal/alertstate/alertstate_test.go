package alertstate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// TestWriteThenRead checks that what the writer puts on a point the reader reads back.
func TestWriteThenRead(t *testing.T) {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(MetricName)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
	dp.SetDoubleValue(0.25)
	Header{
		Name: "high_error_rate", State: StateFiring, Severity: "warning", Fingerprint: "0123456789abcdef",
		Description: "too many errors", Threshold: "> 0.1", Cooldown: FormatCooldown(15 * time.Minute),
	}.Put(dp.Attributes())
	PutAnnotation(dp.Attributes(), "summary", "errors")
	dp.Attributes().PutStr("worker.name", "w1")

	points, errs := Read(md)
	require.Empty(t, errs)
	require.Len(t, points, 1)
	assert.Equal(t, Point{
		Name: "high_error_rate", State: StateFiring, Severity: "warning", Fingerprint: "0123456789abcdef",
		Description: "too many errors", Threshold: "> 0.1", Cooldown: 15 * time.Minute,
		Value: 0.25, HasValue: true, Time: at,
		Labels:      []Label{{Key: "worker.name", Value: "w1"}},
		Annotations: []Label{{Key: "summary", Value: "errors"}},
	}, points[0])
}

func TestReservedAttributes(t *testing.T) {
	for _, k := range []string{AttrAlertName, AttrAlertState, AttrSeverity, AttrFingerprint, AttrDescription, AttrThreshold, AttrCooldown} {
		assert.True(t, IsReserved(k), k)
	}
	assert.False(t, IsReserved("worker.name"))
	attrs := pcommon.NewMap()
	Header{}.Put(attrs)
	assert.Equal(t, NumHeaderAttributes, attrs.Len())
}

// TestParseCooldown holds the cases of notify's former test of its own parseCooldown.
func TestParseCooldown(t *testing.T) {
	for _, tc := range []struct {
		v    pcommon.Value
		want time.Duration
		err  bool
	}{
		{pcommon.NewValueStr("15m"), 15 * time.Minute, false},
		{pcommon.NewValueStr("15m0s"), 15 * time.Minute, false},
		{pcommon.NewValueStr("900"), 15 * time.Minute, false},
		{pcommon.NewValueStr(""), 0, false},
		{pcommon.NewValueInt(60), time.Minute, false},
		{pcommon.NewValueDouble(1.5), 1500 * time.Millisecond, false},
		{pcommon.NewValueStr("soon"), 0, true},
		{pcommon.NewValueStr("-1m"), 0, true},
		{pcommon.NewValueInt(-1), 0, true},
		{pcommon.NewValueBool(true), 0, true},
	} {
		got, err := ParseCooldown(tc.v)
		if tc.err {
			assert.Error(t, err, tc.v.AsString())
			continue
		}
		assert.NoError(t, err, tc.v.AsString())
		assert.Equal(t, tc.want, got, tc.v.AsString())
	}
}
