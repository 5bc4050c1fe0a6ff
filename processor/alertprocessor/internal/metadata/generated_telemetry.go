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

// TelemetryBuilder holds the processor's own instruments, as documented in ../../metadata.yaml.
type TelemetryBuilder struct {
	ProcessorAlertEvaluations       metric.Int64Counter
	ProcessorAlertInstances         metric.Int64Gauge
	ProcessorAlertTransitions       metric.Int64Counter
	ProcessorAlertInstancesOverflow metric.Int64Counter
	ProcessorAlertSeries            metric.Int64Gauge
	ProcessorAlertSeriesOverflow    metric.Int64Counter
	ProcessorAlertSeriesEvicted     metric.Int64Counter
	ProcessorAlertRuleErrors        metric.Int64Counter
	ProcessorAlertUnsupportedPoints metric.Int64Counter
	ProcessorAlertEmitFailures      metric.Int64Counter
	ProcessorAlertStorageErrors     metric.Int64Counter
	ProcessorAlertRestored          metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments on the component's meter.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var tb TelemetryBuilder
	var err, e error
	tb.ProcessorAlertEvaluations, e = m.Int64Counter("otelcol_processor_alert_evaluations",
		metric.WithDescription("Rule evaluations run (one per evaluation_interval, all rules)."), metric.WithUnit("{evaluation}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertInstances, e = m.Int64Gauge("otelcol_processor_alert_instances",
		metric.WithDescription("Alert instances held after the last evaluation, by written state (pending, firing, inhibited, silenced, resolved)."), metric.WithUnit("{instance}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertTransitions, e = m.Int64Counter("otelcol_processor_alert_transitions",
		metric.WithDescription("Alert instance state changes, by rule and new state."), metric.WithUnit("{transition}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertInstancesOverflow, e = m.Int64Counter("otelcol_processor_alert_instances_overflow",
		metric.WithDescription("Alert instances not created because max_instances was reached, by rule."), metric.WithUnit("{instance}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertSeries, e = m.Int64Gauge("otelcol_processor_alert_series",
		metric.WithDescription("Input series remembered for rule evaluation."), metric.WithUnit("{series}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertSeriesOverflow, e = m.Int64Counter("otelcol_processor_alert_series_overflow",
		metric.WithDescription("Data points of new series not remembered because max_series was reached, by metric."), metric.WithUnit("{datapoint}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertSeriesEvicted, e = m.Int64Counter("otelcol_processor_alert_series_evicted",
		metric.WithDescription("Series forgotten because they were not seen for stale_after."), metric.WithUnit("{series}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertRuleErrors, e = m.Int64Counter("otelcol_processor_alert_rule_errors",
		metric.WithDescription("Rule problems found at evaluation (e.g. quantile on a gauge), counted once per rule and reason."), metric.WithUnit("{error}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertUnsupportedPoints, e = m.Int64Counter("otelcol_processor_alert_unsupported_points",
		metric.WithDescription("Data points of a rule's metric that no rule function reads (summaries, exponential histograms, malformed), by metric."), metric.WithUnit("{datapoint}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertEmitFailures, e = m.Int64Counter("otelcol_processor_alert_emit_failures",
		metric.WithDescription("Evaluations whose multiagents.alerts could not be handed to the next consumer."), metric.WithUnit("{evaluation}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertStorageErrors, e = m.Int64Counter("otelcol_processor_alert_storage_errors",
		metric.WithDescription("Failures to read, decode or write the alert state kept in the storage extension, by operation."), metric.WithUnit("{error}"))
	err = errors.Join(err, e)
	tb.ProcessorAlertRestored, e = m.Int64Counter("otelcol_processor_alert_restored",
		metric.WithDescription("Alert instances read back from the storage extension at start, by outcome (restored, orphaned, skipped)."), metric.WithUnit("{instance}"))
	err = errors.Join(err, e)
	return &tb, err
}
