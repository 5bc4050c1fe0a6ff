package alertmanagerexporter

import (
	"context"
	"errors"
	"sync/atomic"

	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/alertmanagerexporter/internal/metadata"
)

// Stats counts what the exporter did; tests read it.
type Stats struct {
	Sent, Rejected, Failures, Evicted, InvalidAlerts, StorageErrors atomic.Int64
}

// telemetry records the exporter's own counters; every point carries exporter (the component
// id), and the per-destination ones the redacted endpoint.
type telemetry struct {
	stats                        Stats
	id                           string
	attrs                        metric.MeasurementOption
	sentC, rejectedC, failuresC  metric.Int64Counter
	evictedC, invalidC, storageC metric.Int64Counter
	meter                        metric.Meter
}

func newTelemetry(set exporter.Settings) (*telemetry, error) {
	meter := metadata.Meter(set.TelemetrySettings)
	t := &telemetry{
		id:    set.ID.String(),
		attrs: metric.WithAttributeSet(attribute.NewSet(attribute.String("exporter", set.ID.String()))),
		meter: meter,
	}
	var errs, err error
	t.sentC, err = meter.Int64Counter("otelcol_alertmanager_alerts_sent",
		metric.WithDescription("Alerts delivered to an Alertmanager (each alert of each accepted POST /api/v2/alerts; re-sends included)."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.rejectedC, err = meter.Int64Counter("otelcol_alertmanager_alerts_rejected",
		metric.WithDescription("Alerts in requests an Alertmanager refused permanently (HTTP 4xx other than 429); sent again at the next resend."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.failuresC, err = meter.Int64Counter("otelcol_alertmanager_send_failures",
		metric.WithDescription("POST /api/v2/alerts attempts that failed and will be retried (network, 429, 5xx)."), metric.WithUnit("{request}"))
	errs = errors.Join(errs, err)
	t.evictedC, err = meter.Int64Counter("otelcol_alertmanager_evicted",
		metric.WithDescription("Alert instances forgotten because max_tracked_alerts was reached."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.invalidC, err = meter.Int64Counter("otelcol_alertmanager_invalid_alerts",
		metric.WithDescription("multiagents.alerts data points skipped as invalid."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.storageC, err = meter.Int64Counter("otelcol_alertmanager_storage_errors",
		metric.WithDescription("Failures to read or write the exporter's state in the storage extension."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	return t, errs
}

// observeTracked reports the number of tracked instances as otelcol_alertmanager_tracked_alerts.
func (t *telemetry) observeTracked(count func() int64) {
	_, err := t.meter.Int64ObservableGauge("otelcol_alertmanager_tracked_alerts",
		metric.WithDescription("Alert instances the exporter keeps (firing, and resolved ones still being re-sent)."), metric.WithUnit("{alert}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(count(), metric.WithAttributes(attribute.String("exporter", t.id)))
			return nil
		}))
	if err != nil {
		otel.Handle(err) // the gauge is a convenience; the counters do not depend on it
	}
}

func (t *telemetry) endpointAttrs(endpoint string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("exporter", t.id), attribute.String("endpoint", endpoint))
}

func (t *telemetry) sent(ctx context.Context, endpoint string, n int) {
	t.stats.Sent.Add(int64(n))
	t.sentC.Add(ctx, int64(n), t.endpointAttrs(endpoint))
}

func (t *telemetry) rejected(ctx context.Context, endpoint string, n int) {
	t.stats.Rejected.Add(int64(n))
	t.rejectedC.Add(ctx, int64(n), t.endpointAttrs(endpoint))
}

func (t *telemetry) failed(ctx context.Context, endpoint string) {
	t.stats.Failures.Add(1)
	t.failuresC.Add(ctx, 1, t.endpointAttrs(endpoint))
}

func (t *telemetry) evict(ctx context.Context, n int) {
	if n == 0 {
		return
	}
	t.stats.Evicted.Add(int64(n))
	t.evictedC.Add(ctx, int64(n), t.attrs)
}

func (t *telemetry) invalid(ctx context.Context, n int) {
	t.stats.InvalidAlerts.Add(int64(n))
	t.invalidC.Add(ctx, int64(n), t.attrs)
}

func (t *telemetry) storageError(ctx context.Context) {
	t.stats.StorageErrors.Add(1)
	t.storageC.Add(ctx, 1, t.attrs)
}
