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
	// MultiagentsDecodeErrors counts rejected events, by reason.
	MultiagentsDecodeErrors metric.Int64Counter
	// MultiagentsDuplicateResults counts results ignored because their step had already ended, by kind (duplicate, late).
	MultiagentsDuplicateResults metric.Int64Counter
	// MultiagentsTimedOutSteps counts steps ended by the receiver because no result came in time.
	MultiagentsTimedOutSteps metric.Int64Counter
	// MultiagentsEvictedTransactions counts open transactions flushed early, by reason (max_open, retention).
	MultiagentsEvictedTransactions metric.Int64Counter
	// MultiagentsDroppedSpans counts spans not built because a transaction reached max_spans_per_transaction.
	MultiagentsDroppedSpans metric.Int64Counter
	// MultiagentsDroppedLogRecords counts log records sampling held back past max_spans_per_transaction.
	MultiagentsDroppedLogRecords metric.Int64Counter
	// MultiagentsQueueDropped counts Redis messages dropped because the decode queue was full.
	MultiagentsQueueDropped metric.Int64Counter
	// MultiagentsRedisReconnects counts successful re-subscriptions after a lost connection.
	MultiagentsRedisReconnects metric.Int64Counter
	// MultiagentsRedisGaps counts disconnects from Redis (each one loses what is published meanwhile).
	MultiagentsRedisGaps metric.Int64Counter
	// MultiagentsRedisGapDuration sums the seconds the tap was disconnected.
	MultiagentsRedisGapDuration metric.Float64Counter
	// MultiagentsReconciledTransactions counts transactions rebuilt or updated from saga:* keys.
	MultiagentsReconciledTransactions metric.Int64Counter
	// MultiagentsOtherPartitionEvents counts events left to another replica's partition, by transport.
	MultiagentsOtherPartitionEvents metric.Int64Counter
	// MultiagentsReconcileTruncated counts reconciliation passes stopped at reconcile_max_sagas.
	MultiagentsReconcileTruncated metric.Int64Counter
	// MultiagentsCheckpointErrors counts failed reads or writes of the stored checkpoint, by operation.
	MultiagentsCheckpointErrors metric.Int64Counter
	// MultiagentsForgottenTransactions counts ended transactions dropped from the bounded memory of exported ones.
	MultiagentsForgottenTransactions metric.Int64Counter
	// MultiagentsUntrackedWorkflowRuns counts completed runs of workflow ids past the cap of tracked run histories.
	MultiagentsUntrackedWorkflowRuns metric.Int64Counter
}

// NewTelemetryBuilder creates the receiver's own instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	b := &TelemetryBuilder{}
	var errs, err error
	b.MultiagentsDecodeErrors, err = m.Int64Counter("otelcol_receiver_multiagents_decode_errors",
		metric.WithDescription("Events rejected by the decoder, by reason."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	b.MultiagentsDuplicateResults, err = m.Int64Counter("otelcol_receiver_multiagents_duplicate_results",
		metric.WithDescription("Results ignored because their step had already ended (kind: duplicate or late)."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	b.MultiagentsTimedOutSteps, err = m.Int64Counter("otelcol_receiver_multiagents_timed_out_steps",
		metric.WithDescription("Steps ended by the receiver after timeout_seconds plus step_timeout_grace."), metric.WithUnit("{step}"))
	errs = errors.Join(errs, err)
	b.MultiagentsEvictedTransactions, err = m.Int64Counter("otelcol_receiver_multiagents_evicted_transactions",
		metric.WithDescription("Open transactions flushed as incomplete, by reason (max_open, retention)."), metric.WithUnit("{transaction}"))
	errs = errors.Join(errs, err)
	b.MultiagentsDroppedSpans, err = m.Int64Counter("otelcol_receiver_multiagents_dropped_spans",
		metric.WithDescription("Spans not built because their transaction reached max_spans_per_transaction."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	b.MultiagentsDroppedLogRecords, err = m.Int64Counter("otelcol_receiver_multiagents_dropped_log_records",
		metric.WithDescription("Log records not kept because sampling held back max_spans_per_transaction of them for one transaction."), metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	b.MultiagentsQueueDropped, err = m.Int64Counter("otelcol_receiver_multiagents_queue_dropped",
		metric.WithDescription("Redis messages dropped because the decode queue was full."), metric.WithUnit("{message}"))
	errs = errors.Join(errs, err)
	b.MultiagentsRedisReconnects, err = m.Int64Counter("otelcol_receiver_multiagents_redis_reconnects",
		metric.WithDescription("Successful re-subscriptions to Redis after a lost connection."), metric.WithUnit("{reconnect}"))
	errs = errors.Join(errs, err)
	b.MultiagentsRedisGaps, err = m.Int64Counter("otelcol_receiver_multiagents_redis_gaps",
		metric.WithDescription("Disconnects from Redis; events published during a gap are lost."), metric.WithUnit("{gap}"))
	errs = errors.Join(errs, err)
	b.MultiagentsRedisGapDuration, err = m.Float64Counter("otelcol_receiver_multiagents_redis_gap_duration",
		metric.WithDescription("Total time the Redis tap was disconnected."), metric.WithUnit("s"))
	errs = errors.Join(errs, err)
	b.MultiagentsReconciledTransactions, err = m.Int64Counter("otelcol_receiver_multiagents_reconciled_transactions",
		metric.WithDescription("Transactions rebuilt or brought up to date from saga:* keys after a (re)connect."), metric.WithUnit("{transaction}"))
	errs = errors.Join(errs, err)
	b.MultiagentsOtherPartitionEvents, err = m.Int64Counter("otelcol_receiver_multiagents_other_partition_events",
		metric.WithDescription("Events of transactions that belong to another replica's partition, left to it."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	b.MultiagentsReconcileTruncated, err = m.Int64Counter("otelcol_receiver_multiagents_reconcile_truncated",
		metric.WithDescription("Reconciliation passes stopped after reconcile_max_sagas saga:* keys (the keys after it were not read)."), metric.WithUnit("{pass}"))
	errs = errors.Join(errs, err)
	b.MultiagentsCheckpointErrors, err = m.Int64Counter("otelcol_receiver_multiagents_checkpoint_errors",
		metric.WithDescription("Failed reads or writes of the checkpoint in the storage extension, by operation."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	b.MultiagentsForgottenTransactions, err = m.Int64Counter("otelcol_receiver_multiagents_forgotten_transactions",
		metric.WithDescription("Ended transactions dropped from the bounded memory (65536) of exported ones."), metric.WithUnit("{transaction}"))
	errs = errors.Join(errs, err)
	b.MultiagentsUntrackedWorkflowRuns, err = m.Int64Counter("otelcol_receiver_multiagents_untracked_workflow_runs",
		metric.WithDescription("Completed runs of workflow ids past the 2000 whose run times are kept for the stuck threshold; they share one overflow history."), metric.WithUnit("{run}"))
	errs = errors.Join(errs, err)
	return b, errs
}
