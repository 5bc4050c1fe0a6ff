package multiagentsreceiver

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/storageclient"
)

const (
	checkpointStorageName = "checkpoint"
	checkpointKey         = "multiagents_checkpoint"
	checkpointVersion     = 1
)

// checkpointState is what a restart needs: the receiver's clock when it last emitted its
// metrics, and the ended transactions and commands whose spans and counts had gone out by
// then (both bounded by recentCapacity, oldest first).
type checkpointState struct {
	at       time.Time
	ended    []uint64
	commands []uint64
}

// checkpointStore reads and writes checkpointState in a storage extension.
type checkpointStore struct {
	client storage.Client
}

func (a *assembler) snapshot() *checkpointState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.snapshotLocked(a.now())
}

func (a *assembler) snapshotLocked(now time.Time) *checkpointState {
	return &checkpointState{at: now, ended: a.ended.keys(), commands: a.commands.keys()}
}

// restore marks the stored transactions and commands as ended, so reconciliation does not
// export them again.
func (a *assembler) restore(st *checkpointState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range st.ended {
		a.ended.add(k, 1)
	}
	for _, k := range st.commands {
		a.commands.add(k, endedByResult)
	}
}

// encode: version byte, checkpoint unix nanos, then two length-prefixed lists of uint64.
func (st *checkpointState) encode() []byte {
	out := make([]byte, 0, 1+8+4+8*len(st.ended)+4+8*len(st.commands))
	out = append(out, checkpointVersion)
	out = binary.BigEndian.AppendUint64(out, uint64(st.at.UnixNano()))
	for _, list := range [][]uint64{st.ended, st.commands} {
		out = binary.BigEndian.AppendUint32(out, uint32(len(list)))
		for _, k := range list {
			out = binary.BigEndian.AppendUint64(out, k)
		}
	}
	return out
}

func decodeCheckpoint(data []byte) (*checkpointState, error) {
	if len(data) < 9 || data[0] != checkpointVersion {
		return nil, errors.New("unknown checkpoint format")
	}
	st := &checkpointState{at: time.Unix(0, int64(binary.BigEndian.Uint64(data[1:9])))}
	rest := data[9:]
	for _, dst := range []*[]uint64{&st.ended, &st.commands} {
		if len(rest) < 4 {
			return nil, errors.New("truncated checkpoint")
		}
		n := int(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		if n > recentCapacity || len(rest) < 8*n {
			return nil, errors.New("truncated checkpoint")
		}
		list := make([]uint64, n)
		for i := range list {
			list[i] = binary.BigEndian.Uint64(rest[8*i:])
		}
		*dst = list
		rest = rest[8*n:]
	}
	return st, nil
}

// openCheckpoint opens the storage (if configured), restores the stored state and returns
// where the first reconciliation starts: the stored checkpoint, else now minus
// reconcile_lookback, else zero (only open workflows). A missing or wrong extension is a
// configuration error; trouble with the data only costs the restored state.
func (r *multiAgentsReceiver) openCheckpoint(ctx context.Context, host component.Host) (time.Time, error) {
	var lookbackSince time.Time
	if lb := r.cfg.Redis.ReconcileLookback; lb > 0 {
		// Reconciliation widens every window by reconcileSkew; the look-back is meant
		// exactly (a user setting, not a measured gap), so that slack is taken back here.
		lookbackSince = r.now().Add(-lb + reconcileSkew)
	}
	if r.cfg.Storage == nil {
		return lookbackSince, nil
	}
	client, err := storageclient.Open(ctx, host, *r.cfg.Storage, component.KindReceiver, r.settings.ID, checkpointStorageName)
	if errors.Is(err, storageclient.ErrOpen) {
		r.checkpointError("open", "Cannot open the checkpoint storage; restarts fall back to reconcile_lookback", err)
		return lookbackSince, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	r.checkpoint = &checkpointStore{client: client}
	data, err := client.Get(ctx, checkpointKey)
	if err != nil {
		r.checkpointError("read", "Cannot read the stored checkpoint; starting from reconcile_lookback", err)
		return lookbackSince, nil
	}
	if data == nil {
		return lookbackSince, nil // very first start
	}
	st, err := decodeCheckpoint(data)
	if err != nil {
		r.checkpointError("decode", "The stored checkpoint is unreadable; starting from reconcile_lookback", err)
		return lookbackSince, nil
	}
	r.asm.restore(st)
	r.logger.Info("Restored the checkpoint; reconciling workflows that changed since",
		zap.Time("checkpoint", st.at), zap.Int("exported_transactions", len(st.ended)))
	return st.at, nil
}

func (r *multiAgentsReceiver) saveCheckpoint(ctx context.Context, st *checkpointState) {
	if r.checkpoint == nil || st == nil {
		return
	}
	if err := r.checkpoint.client.Set(context.WithoutCancel(ctx), checkpointKey, st.encode()); err != nil {
		r.checkpointError("write", "Cannot write the checkpoint; a restart may rebuild or repeat recent workflows", err)
	}
}

func (r *multiAgentsReceiver) closeCheckpoint(ctx context.Context) {
	if r.checkpoint == nil {
		return
	}
	if err := r.checkpoint.client.Close(context.WithoutCancel(ctx)); err != nil {
		r.checkpointError("close", "Cannot close the checkpoint storage", err)
	}
	r.checkpoint = nil
}

func (r *multiAgentsReceiver) checkpointError(op, msg string, err error) {
	r.telemetry.ReceiverMultiagentsCheckpointErrors.Add(context.Background(), 1,
		metric.WithAttributes(r.component, attribute.String("operation", op)))
	r.logger.Warn(msg, zap.Error(err))
}
