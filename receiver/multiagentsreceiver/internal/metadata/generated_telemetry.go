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

// TelemetryBuilder holds the receiver's own counters (the telemetry section of metadata.yaml),
// in the shape mdatagen generates.
type TelemetryBuilder struct {
	// ReceiverMultiagentsDecodeErrors counts rejected events, by reason.
	ReceiverMultiagentsDecodeErrors metric.Int64Counter
	// ReceiverMultiagentsDuplicateResults counts results ignored because their step had already ended, by kind (duplicate, late).
	ReceiverMultiagentsDuplicateResults metric.Int64Counter
	// ReceiverMultiagentsTimedOutSteps counts steps ended by the receiver because no result came in time.
	ReceiverMultiagentsTimedOutSteps metric.Int64Counter
	// ReceiverMultiagentsEvictedTransactions counts open transactions flushed early, by reason (max_open, retention).
	ReceiverMultiagentsEvictedTransactions metric.Int64Counter
	// ReceiverMultiagentsDroppedSpans counts spans not built because a transaction reached max_spans_per_transaction.
	ReceiverMultiagentsDroppedSpans metric.Int64Counter
	// ReceiverMultiagentsDroppedLogRecords counts log records sampling held back past max_spans_per_transaction.
	ReceiverMultiagentsDroppedLogRecords metric.Int64Counter
	// ReceiverMultiagentsQueueDropped counts Redis messages dropped because the decode queue was full.
	ReceiverMultiagentsQueueDropped metric.Int64Counter
	// ReceiverMultiagentsRedisReconnects counts successful re-subscriptions after a lost connection.
	ReceiverMultiagentsRedisReconnects metric.Int64Counter
	// ReceiverMultiagentsRedisGaps counts disconnects from Redis (each one loses what is published meanwhile).
	ReceiverMultiagentsRedisGaps metric.Int64Counter
	// ReceiverMultiagentsRedisGapDuration sums the seconds the tap was disconnected.
	ReceiverMultiagentsRedisGapDuration metric.Float64Counter
	// ReceiverMultiagentsReconciledTransactions counts transactions rebuilt or updated from saga:* keys.
	ReceiverMultiagentsReconciledTransactions metric.Int64Counter
	// ReceiverMultiagentsOtherPartitionEvents counts events left to another replica's partition, by transport.
	ReceiverMultiagentsOtherPartitionEvents metric.Int64Counter
	// ReceiverMultiagentsReconcileTruncated counts reconciliation passes stopped at reconcile_max_sagas.
	ReceiverMultiagentsReconcileTruncated metric.Int64Counter
	// ReceiverMultiagentsCheckpointErrors counts failed reads or writes of the stored checkpoint, by operation.
	ReceiverMultiagentsCheckpointErrors metric.Int64Counter
	// ReceiverMultiagentsForgottenTransactions counts ended transactions dropped from the bounded memory of exported ones.
	ReceiverMultiagentsForgottenTransactions metric.Int64Counter
	// ReceiverMultiagentsUntrackedWorkflowRuns counts completed runs of workflow ids past the cap of tracked run histories.
	ReceiverMultiagentsUntrackedWorkflowRuns metric.Int64Counter
}

// NewTelemetryBuilder creates the receiver's own instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	b := &TelemetryBuilder{}
	var errs, err error
	b.ReceiverMultiagentsDecodeErrors, err = m.Int64Counter("otelcol_receiver_multiagents_decode_errors",
		metric.WithDescription("Events rejected by the decoder, by reason."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsDuplicateResults, err = m.Int64Counter("otelcol_receiver_multiagents_duplicate_results",
		metric.WithDescription("Results ignored because their step had already ended (kind: duplicate or late)."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsTimedOutSteps, err = m.Int64Counter("otelcol_receiver_multiagents_timed_out_steps",
		metric.WithDescription("Steps ended by the receiver after timeout_seconds plus step_timeout_grace."), metric.WithUnit("{step}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsEvictedTransactions, err = m.Int64Counter("otelcol_receiver_multiagents_evicted_transactions",
		metric.WithDescription("Open transactions flushed as incomplete, by reason (max_open, retention)."), metric.WithUnit("{transaction}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsDroppedSpans, err = m.Int64Counter("otelcol_receiver_multiagents_dropped_spans",
		metric.WithDescription("Spans not built because their transaction reached max_spans_per_transaction."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsDroppedLogRecords, err = m.Int64Counter("otelcol_receiver_multiagents_dropped_log_records",
		metric.WithDescription("Log records not kept because sampling held back max_spans_per_transaction of them for one transaction."), metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsQueueDropped, err = m.Int64Counter("otelcol_receiver_multiagents_queue_dropped",
		metric.WithDescription("Redis messages dropped because the decode queue was full."), metric.WithUnit("{message}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsRedisReconnects, err = m.Int64Counter("otelcol_receiver_multiagents_redis_reconnects",
		metric.WithDescription("Successful re-subscriptions to Redis after a lost connection."), metric.WithUnit("{reconnect}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsRedisGaps, err = m.Int64Counter("otelcol_receiver_multiagents_redis_gaps",
		metric.WithDescription("Disconnects from Redis; events published during a gap are lost."), metric.WithUnit("{gap}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsRedisGapDuration, err = m.Float64Counter("otelcol_receiver_multiagents_redis_gap_duration",
		metric.WithDescription("Total time the Redis tap was disconnected."), metric.WithUnit("s"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsReconciledTransactions, err = m.Int64Counter("otelcol_receiver_multiagents_reconciled_transactions",
		metric.WithDescription("Transactions rebuilt or brought up to date from saga:* keys after a (re)connect."), metric.WithUnit("{transaction}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsOtherPartitionEvents, err = m.Int64Counter("otelcol_receiver_multiagents_other_partition_events",
		metric.WithDescription("Events of transactions that belong to another replica's partition, left to it."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsReconcileTruncated, err = m.Int64Counter("otelcol_receiver_multiagents_reconcile_truncated",
		metric.WithDescription("Reconciliation passes stopped after reconcile_max_sagas saga:* keys (the keys after it were not read)."), metric.WithUnit("{pass}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsCheckpointErrors, err = m.Int64Counter("otelcol_receiver_multiagents_checkpoint_errors",
		metric.WithDescription("Failed reads or writes of the checkpoint in the storage extension, by operation."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsForgottenTransactions, err = m.Int64Counter("otelcol_receiver_multiagents_forgotten_transactions",
		metric.WithDescription("Ended transactions dropped from the bounded memory (65536) of exported ones."), metric.WithUnit("{transaction}"))
	errs = errors.Join(errs, err)
	b.ReceiverMultiagentsUntrackedWorkflowRuns, err = m.Int64Counter("otelcol_receiver_multiagents_untracked_workflow_runs",
		metric.WithDescription("Completed runs of workflow ids past the 2000 whose run times are kept for the stuck threshold; they share one overflow history."), metric.WithUnit("{run}"))
	errs = errors.Join(errs, err)
	return b, errs
}
