package multiagentsreceiver

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
)

const (
	sagaKeyPattern = "saga:*"
	sagaScanBatch  = 200
	// reconcileSkew widens the gap window: the orchestrator stamps updated_at with its own clock.
	reconcileSkew = time.Minute
)

// sagaState is the orchestrator's saga:<transaction_id> key (see the wire-format doc).
type sagaState struct {
	TransactionID    string     `json:"transaction_id"`
	WorkflowID       string     `json:"workflow_id"`
	State            string     `json:"state"`
	ExecutionHistory []sagaStep `json:"execution_history"`
	CreatedAt        string     `json:"created_at"`
	UpdatedAt        string     `json:"updated_at"`
}

type sagaStep struct {
	StepName    string          `json:"step_name"`
	Status      string          `json:"status"`
	StartedAt   *string         `json:"started_at"`
	CompletedAt *string         `json:"completed_at"`
	Error       json.RawMessage `json:"error"`
	CommandID   *string         `json:"command_id"`
}

// str reads an optional saga field, "" when absent.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// reconcile scans saga:* after a (re)connect. Open workflows the receiver does not know
// are opened (marked reconstructed); workflows that ended are brought to their end. Those
// unknown to the receiver that ended during the gap (since, widened by reconcileSkew) are
// rebuilt whole. On the first connection since is the stored checkpoint, or now minus
// reconcile_lookback, or zero (only open ones are rebuilt), so that a start neither loses
// what ended while the collector was down nor replays a week of history. Sagas of other
// partitions are left to their replica; one pass reads at most reconcile_max_sagas keys.
func (r *multiAgentsReceiver) reconcile(ctx context.Context, client *redis.Client, since time.Time) {
	var cursor uint64
	rebuilt, scanned := 0, 0
	limit := r.cfg.Redis.ReconcileMaxSagas
	for {
		keys, next, err := client.Scan(ctx, cursor, sagaKeyPattern, sagaScanBatch).Result()
		if err != nil {
			if ctx.Err() == nil {
				r.logger.Warn("Reconciliation from saga:* stopped early", zap.Error(err), zap.Int("rebuilt", rebuilt))
			}
			return
		}
		truncated := false
		if room := limit - scanned; len(keys) > room {
			keys, truncated = keys[:room], true
		}
		if len(keys) > 0 {
			values, err := client.MGet(ctx, keys...).Result()
			if err != nil {
				if ctx.Err() == nil {
					r.logger.Warn("Reconciliation from saga:* stopped early", zap.Error(err), zap.Int("rebuilt", rebuilt))
				}
				return
			}
			b := newOutputBatch()
			for i, v := range values {
				s, ok := v.(string)
				if !ok {
					continue // expired between SCAN and MGET
				}
				scanned++
				if !r.cfg.ownsTransaction(strings.TrimPrefix(keys[i], "saga:")) {
					continue // another replica's; not even decoded
				}
				var saga sagaState
				if err := json.Unmarshal(eventcodec.SanitizeNonFinite([]byte(s)), &saga); err != nil {
					r.logger.Debug("Skipping an unreadable saga key", zap.String("key", keys[i]), zap.Error(err))
					continue
				}
				if saga.TransactionID == "" {
					saga.TransactionID = strings.TrimPrefix(keys[i], "saga:")
				}
				if r.asm.reconcileSaga(&saga, since, b) {
					rebuilt++
				}
			}
			_ = r.flush(ctx, b, r.obsRedis)
		}
		cursor = next
		if truncated || (scanned >= limit && cursor != 0) {
			r.telemetry.ReceiverMultiagentsReconcileTruncated.Add(ctx, 1, r.instance)
			r.logger.Warn("Reconciliation from saga:* stopped at redis.reconcile_max_sagas; later keys were not read",
				zap.Int("reconcile_max_sagas", limit))
			break
		}
		if cursor == 0 {
			break
		}
	}
	if rebuilt > 0 {
		r.telemetry.ReceiverMultiagentsReconciledTransactions.Add(ctx, int64(rebuilt), r.instance)
	}
	r.logger.Info("Reconciled workflows from saga:* keys", zap.Int("sagas", scanned), zap.Int("reconciled", rebuilt))
}

func isTerminalSagaState(s string) bool {
	switch s {
	case workflowCompleted, workflowFailed, workflowCompensated, workflowCancelled:
		return true
	}
	return false
}

// reconcileSaga applies one saga to the transaction store and reports whether it changed anything.
func (a *assembler) reconcileSaga(s *sagaState, since time.Time, b *outputBatch) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ended := a.ended.get(hashKey(spanRoleRoot, s.TransactionID)); ended {
		return false
	}
	terminal := isTerminalSagaState(s.State)
	created, _ := eventcodec.ParseTimestamp(s.CreatedAt)
	updated, _ := eventcodec.ParseTimestamp(s.UpdatedAt)
	now := a.now()
	if created.IsZero() {
		created = now
	}
	if updated.IsZero() {
		updated = created
	}
	tx, known := a.open[s.TransactionID]
	switch {
	case known && !terminal:
		// Live events keep it up to date, except results published while the tap was down.
		return a.completeStepsAnsweredInGap(tx, s, now, b)
	case !known && terminal && (since.IsZero() || updated.Before(since.Add(-reconcileSkew))):
		return false // ended before the gap: seen live, or before this collector ran
	}
	if !known {
		tx = a.transaction(s.TransactionID, created, now, b)
		tx.reconstructed = true
		tx.startKnown = true
		tx.workflowID = s.WorkflowID
		// Idle since the saga's last change, not since this receiver read it: a saga stuck
		// before the collector started is stuck at once. Orchestrator clock; never ahead of now.
		tx.lastSeen = updated
		if tx.lastSeen.After(now) {
			tx.lastSeen = now
		}
	}
	if tx.workflowID == "" {
		tx.workflowID = s.WorkflowID
	}
	if terminal {
		// Its end (and the steps below) come from the saga, not from events.
		tx.reconstructed = true
	}
	for i, h := range s.ExecutionHistory {
		a.reconcileStep(tx, s, i, h, now, b)
	}
	if terminal {
		if s.State != workflowCompleted {
			a.markFailed(tx, b)
		}
		a.finalize(tx, s.State, updated, "", b)
	}
	return true
}

func (a *assembler) reconcileStep(tx *transaction, s *sagaState, i int, h sagaStep, now time.Time, b *outputBatch) {
	commandID := str(h.CommandID)
	if commandID == "" {
		commandID = s.TransactionID + "." + h.StepName + "#" + strconv.Itoa(i)
	}
	if a.findStep(tx, commandID) >= 0 && h.Status != workflowCompleted && h.Status != workflowFailed {
		return // still running, already tracked
	}
	if _, done := a.commands.get(hashKey(spanRoleStep, commandID)); done {
		return // its span went out live
	}
	started, _ := eventcodec.ParseTimestamp(str(h.StartedAt))
	completed, _ := eventcodec.ParseTimestamp(str(h.CompletedAt))
	worker := workerOrUnknown(h.StepName)
	step := openStep{commandID: commandID, workerType: worker, step: worker, start: started}
	if step.start.IsZero() {
		step.start = tx.start
	}
	if i := a.findStep(tx, commandID); i >= 0 {
		step = a.removeStep(tx, i)
		worker = step.workerType // the command named its worker; the step name may differ
	}
	switch h.Status {
	case workflowCompleted, workflowFailed:
		if !a.reserveSpan(tx) {
			return
		}
		if completed.IsZero() {
			completed = step.start
		}
		ok := h.Status == workflowCompleted
		if !ok {
			a.markFailed(tx, b)
		}
		a.commands.add(hashKey(spanRoleStep, commandID), endedByResult)
		a.workerAnswered(worker)
		span := a.stepSpan(a.sinkFor(tx, b), tx, step, completed)
		if !ok {
			span.Status().SetCode(ptrace.StatusCodeError)
			msg := strings.Trim(string(h.Error), `"`)
			if msg == "" || msg == "null" {
				msg = "step failed"
			}
			span.Status().SetMessage(a.renderer.capString(msg))
		}
		a.metrics.workerExecution(worker, ok, completed.Sub(step.start), true,
			failureRef{traceID: tx.traceID, spanID: span.SpanID(), at: completed})
	case "running", "pending", "in_progress":
		if !a.reserveSpan(tx) {
			return
		}
		timeout := defaultCommandTimeout + a.cfg.Transactions.StepTimeoutGrace
		step.timeout = timeout
		step.deadline = now.Add(timeout)
		a.trackWorker(worker)
		tx.steps = append(tx.steps, step)
	}
}

// completeStepsAnsweredInGap ends the open steps of a running workflow whose result the saga
// holds: the result was published while the tap was down. Without it the step stays pending
// until its timeout and its worker looks unresponsive (overdue) although it answered.
// Only steps the receiver holds open under the saga's command_id are touched, so a step
// seen live is never counted twice.
func (a *assembler) completeStepsAnsweredInGap(tx *transaction, s *sagaState, now time.Time, b *outputBatch) bool {
	changed := false
	for i, h := range s.ExecutionHistory {
		if h.Status != workflowCompleted && h.Status != workflowFailed {
			continue
		}
		if id := str(h.CommandID); id == "" || a.findStep(tx, id) < 0 {
			continue
		}
		a.reconcileStep(tx, s, i, h, now, b)
		changed = true
	}
	return changed
}
