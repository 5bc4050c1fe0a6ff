package metadata

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Meter returns the meter for the component's own telemetry, named by its scope as mdatagen does.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// Tracer returns the tracer for the component's own telemetry.
func Tracer(settings component.TelemetrySettings) trace.Tracer {
	return settings.TracerProvider.Tracer(ScopeName)
}

// TelemetryBuilder holds the exporter's own instruments (the telemetry section of
// ../../metadata.yaml), in the shape mdatagen generates.
type TelemetryBuilder struct {
	meter                      metric.Meter
	mu                         sync.Mutex
	registrations              []metric.Registration
	AlertmanagerAlertsSent     metric.Int64Counter
	AlertmanagerAlertsRejected metric.Int64Counter
	AlertmanagerSendFailures   metric.Int64Counter
	AlertmanagerEvicted        metric.Int64Counter
	AlertmanagerInvalidAlerts  metric.Int64Counter
	AlertmanagerStorageErrors  metric.Int64Counter
	AlertmanagerTrackedAlerts  metric.Int64ObservableGauge
}

// Shutdown unregisters the callbacks of the asynchronous instruments.
func (builder *TelemetryBuilder) Shutdown() {
	builder.mu.Lock()
	defer builder.mu.Unlock()
	for _, reg := range builder.registrations {
		_ = reg.Unregister()
	}
}

// NewTelemetryBuilder creates the instruments on the component's meter.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	builder := TelemetryBuilder{meter: Meter(settings)}
	var err, errs error
	builder.AlertmanagerAlertsSent, err = builder.meter.Int64Counter("otelcol_alertmanager_alerts_sent",
		metric.WithDescription("Alerts delivered to an Alertmanager (each alert of each accepted POST /api/v2/alerts; re-sends included)."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	builder.AlertmanagerAlertsRejected, err = builder.meter.Int64Counter("otelcol_alertmanager_alerts_rejected",
		metric.WithDescription("Alerts in requests an Alertmanager refused permanently (HTTP 4xx other than 429); sent again at the next resend."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	builder.AlertmanagerSendFailures, err = builder.meter.Int64Counter("otelcol_alertmanager_send_failures",
		metric.WithDescription("POST /api/v2/alerts attempts that failed and will be retried (network, 429, 5xx)."), metric.WithUnit("{request}"))
	errs = errors.Join(errs, err)
	builder.AlertmanagerEvicted, err = builder.meter.Int64Counter("otelcol_alertmanager_evicted",
		metric.WithDescription("Alert instances forgotten because max_tracked_alerts was reached."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	builder.AlertmanagerInvalidAlerts, err = builder.meter.Int64Counter("otelcol_alertmanager_invalid_alerts",
		metric.WithDescription("multiagents.alerts data points skipped as invalid."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	builder.AlertmanagerStorageErrors, err = builder.meter.Int64Counter("otelcol_alertmanager_storage_errors",
		metric.WithDescription("Failures to read or write the exporter's state in the storage extension."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	builder.AlertmanagerTrackedAlerts, err = builder.meter.Int64ObservableGauge("otelcol_alertmanager_tracked_alerts",
		metric.WithDescription("Alert instances the exporter keeps (firing, and resolved ones still being re-sent)."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	return &builder, errs
}

// RegisterAlertmanagerTrackedAlertsCallback reports the tracked-alerts gauge through callback at each collection.
func (builder *TelemetryBuilder) RegisterAlertmanagerTrackedAlertsCallback(callback metric.Callback) error {
	reg, err := builder.meter.RegisterCallback(func(ctx context.Context, observer metric.Observer) error {
		return callback(ctx, observer)
	}, builder.AlertmanagerTrackedAlerts)
	if err != nil {
		return err
	}
	builder.mu.Lock()
	defer builder.mu.Unlock()
	builder.registrations = append(builder.registrations, reg)
	return nil
}
