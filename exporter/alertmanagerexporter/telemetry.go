package alertmanagerexporter

import (
	"context"
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

// telemetry records the exporter's own counters (instruments in internal/metadata); every
// point carries exporter (the component id), and the per-destination ones the redacted endpoint.
type telemetry struct {
	stats   Stats
	id      string
	attrs   metric.MeasurementOption
	builder *metadata.TelemetryBuilder
}

func newTelemetry(set exporter.Settings) (*telemetry, error) {
	builder, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &telemetry{
		id:      set.ID.String(),
		attrs:   metric.WithAttributeSet(attribute.NewSet(attribute.String("exporter", set.ID.String()))),
		builder: builder,
	}, nil
}

// observeTracked reports the number of tracked instances as otelcol_alertmanager_tracked_alerts.
func (t *telemetry) observeTracked(count func() int64) {
	err := t.builder.RegisterAlertmanagerTrackedAlertsCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(t.builder.AlertmanagerTrackedAlerts, count(), metric.WithAttributes(attribute.String("exporter", t.id)))
		return nil
	})
	if err != nil {
		otel.Handle(err) // the gauge is a convenience; the counters do not depend on it
	}
}

func (t *telemetry) endpointAttrs(endpoint string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("exporter", t.id), attribute.String("endpoint", endpoint))
}

func (t *telemetry) sent(ctx context.Context, endpoint string, n int) {
	t.stats.Sent.Add(int64(n))
	t.builder.AlertmanagerAlertsSent.Add(ctx, int64(n), t.endpointAttrs(endpoint))
}

func (t *telemetry) rejected(ctx context.Context, endpoint string, n int) {
	t.stats.Rejected.Add(int64(n))
	t.builder.AlertmanagerAlertsRejected.Add(ctx, int64(n), t.endpointAttrs(endpoint))
}

func (t *telemetry) failed(ctx context.Context, endpoint string) {
	t.stats.Failures.Add(1)
	t.builder.AlertmanagerSendFailures.Add(ctx, 1, t.endpointAttrs(endpoint))
}

func (t *telemetry) evict(ctx context.Context, n int) {
	if n == 0 {
		return
	}
	t.stats.Evicted.Add(int64(n))
	t.builder.AlertmanagerEvicted.Add(ctx, int64(n), t.attrs)
}

func (t *telemetry) invalid(ctx context.Context, n int) {
	t.stats.InvalidAlerts.Add(int64(n))
	t.builder.AlertmanagerInvalidAlerts.Add(ctx, int64(n), t.attrs)
}

func (t *telemetry) storageError(ctx context.Context) {
	t.stats.StorageErrors.Add(1)
	t.builder.AlertmanagerStorageErrors.Add(ctx, 1, t.attrs)
}
