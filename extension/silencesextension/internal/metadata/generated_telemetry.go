package metadata

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Meter returns the meter for the component's own telemetry, named by its scope as mdatagen does.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the extension's own instruments, as documented in ../../metadata.yaml.
type TelemetryBuilder struct {
	ExtensionSilences              metric.Int64ObservableGauge
	ExtensionSilencesRefused       metric.Int64Counter
	ExtensionSilencesForgotten     metric.Int64Counter
	ExtensionSilencesStorageErrors metric.Int64Counter
	registration                   metric.Registration
}

// NewTelemetryBuilder creates the instruments on the component's meter; observeSilences is
// called at each collection to report the silences gauge.
func NewTelemetryBuilder(settings component.TelemetrySettings, observeSilences func(observe func(int64, ...metric.ObserveOption))) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var tb TelemetryBuilder
	var err, e error
	tb.ExtensionSilences, e = m.Int64ObservableGauge("otelcol_extension_silences",
		metric.WithDescription("Silences held, by state (pending, active, expired)."), metric.WithUnit("{silence}"))
	err = errors.Join(err, e)
	if e == nil {
		tb.registration, e = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			observeSilences(func(v int64, opts ...metric.ObserveOption) { o.ObserveInt64(tb.ExtensionSilences, v, opts...) })
			return nil
		}, tb.ExtensionSilences)
		err = errors.Join(err, e)
	}
	tb.ExtensionSilencesRefused, e = m.Int64Counter("otelcol_extension_silences_refused",
		metric.WithDescription("API requests refused, by reason (invalid, not_found, full)."), metric.WithUnit("{request}"))
	err = errors.Join(err, e)
	tb.ExtensionSilencesForgotten, e = m.Int64Counter("otelcol_extension_silences_forgotten",
		metric.WithDescription("Expired silences dropped, by reason (retention passed, or evicted to make room under max_silences)."), metric.WithUnit("{silence}"))
	err = errors.Join(err, e)
	tb.ExtensionSilencesStorageErrors, e = m.Int64Counter("otelcol_extension_silences_storage_errors",
		metric.WithDescription("Failures to read, decode or write the silences kept in the storage extension, by operation."), metric.WithUnit("{error}"))
	err = errors.Join(err, e)
	return &tb, err
}

// Shutdown unregisters the gauge's callback.
func (tb *TelemetryBuilder) Shutdown() {
	if tb.registration != nil {
		_ = tb.registration.Unregister()
	}
}
