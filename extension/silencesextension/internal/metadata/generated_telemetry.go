package metadata

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Meter returns the meter for the component's own telemetry, named by its scope as mdatagen does.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the extension's own instruments, as documented in ../../metadata.yaml,
// in the shape mdatagen generates.
type TelemetryBuilder struct {
	meter                          metric.Meter
	mu                             sync.Mutex
	registrations                  []metric.Registration
	ExtensionSilences              metric.Int64ObservableGauge
	ExtensionSilencesRefused       metric.Int64Counter
	ExtensionSilencesForgotten     metric.Int64Counter
	ExtensionSilencesStorageErrors metric.Int64Counter
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
	builder.ExtensionSilences, err = builder.meter.Int64ObservableGauge("otelcol_extension_silences",
		metric.WithDescription("Silences held, by state (pending, active, expired)."), metric.WithUnit("{silence}"))
	errs = errors.Join(errs, err)
	builder.ExtensionSilencesRefused, err = builder.meter.Int64Counter("otelcol_extension_silences_refused",
		metric.WithDescription("API requests refused, by reason (invalid, not_found, full)."), metric.WithUnit("{request}"))
	errs = errors.Join(errs, err)
	builder.ExtensionSilencesForgotten, err = builder.meter.Int64Counter("otelcol_extension_silences_forgotten",
		metric.WithDescription("Expired silences dropped, by reason (retention passed, or evicted to make room under max_silences)."), metric.WithUnit("{silence}"))
	errs = errors.Join(errs, err)
	builder.ExtensionSilencesStorageErrors, err = builder.meter.Int64Counter("otelcol_extension_silences_storage_errors",
		metric.WithDescription("Failures to read, decode or write the silences kept in the storage extension, by operation."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	return &builder, errs
}

// RegisterExtensionSilencesCallback reports the silences gauge through callback at each collection.
func (builder *TelemetryBuilder) RegisterExtensionSilencesCallback(callback metric.Callback) error {
	reg, err := builder.meter.RegisterCallback(func(ctx context.Context, observer metric.Observer) error {
		return callback(ctx, observer)
	}, builder.ExtensionSilences)
	if err != nil {
		return err
	}
	builder.mu.Lock()
	defer builder.mu.Unlock()
	builder.registrations = append(builder.registrations, reg)
	return nil
}
