package metadata

import (
	"errors"

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

// TelemetryBuilder holds the processor's own instruments, as listed under telemetry in metadata.yaml.
type TelemetryBuilder struct {
	meter                               metric.Meter
	ProcessorWorkerHealthWorkersEvicted metric.Int64Counter
	ProcessorWorkerHealthWorkersTracked metric.Int64Gauge
	ProcessorWorkerHealthPointsRejected metric.Int64Counter
	ProcessorWorkerHealthCounterResets  metric.Int64Counter
	ProcessorWorkerHealthEmitFailures   metric.Int64Counter
}

// NewTelemetryBuilder creates every instrument of the processor.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	builder := TelemetryBuilder{meter: Meter(settings)}
	var err, errs error
	builder.ProcessorWorkerHealthWorkersEvicted, err = builder.meter.Int64Counter(
		"otelcol_processor_worker_health_workers_evicted",
		metric.WithDescription("Workers dropped from the processor's state, by reason (max_workers, worker_ttl) [Development]"),
		metric.WithUnit("{worker}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorWorkerHealthWorkersTracked, err = builder.meter.Int64Gauge(
		"otelcol_processor_worker_health_workers_tracked",
		metric.WithDescription("Workers held in the processor's state at the last evaluation [Development]"),
		metric.WithUnit("{worker}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorWorkerHealthPointsRejected, err = builder.meter.Int64Counter(
		"otelcol_processor_worker_health_points_rejected",
		metric.WithDescription("Input data points that could not be read as worker executions, by reason [Development]"),
		metric.WithUnit("{point}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorWorkerHealthCounterResets, err = builder.meter.Int64Counter(
		"otelcol_processor_worker_health_counter_resets",
		metric.WithDescription("Cumulative input series seen to restart (value dropped or start time changed) [Development]"),
		metric.WithUnit("{reset}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorWorkerHealthEmitFailures, err = builder.meter.Int64Counter(
		"otelcol_processor_worker_health_emit_failures",
		metric.WithDescription("Health batches the next consumer refused [Development]"),
		metric.WithUnit("{batch}"),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}
