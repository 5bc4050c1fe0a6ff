package alertprocessor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/storageclient"
)

// What is kept in the storage extension: the firing and resolved instances, so that an alert
// that clears while the collector is down still gets its resolved state written (and the
// notifiers their one resolve). Pending instances are not kept: they never notified anyone.
const (
	storageName    = "alerts"
	storageKey     = "alert_state"
	storageVersion = 1
)

// storedState is the stored form: JSON with short keys, instances grouped by rule so that the
// rule's attributes are written once.
type storedState struct {
	Version int          `json:"v"`
	Rules   []storedRule `json:"r"`
}

// storedRule carries what is needed to write a resolved point for an instance whose rule is
// gone from the configuration.
type storedRule struct {
	Name      string   `json:"n"`
	GroupBy   []string `json:"g,omitempty"`
	Severity  string   `json:"s"`
	Threshold string   `json:"t"`
	Cooldown  string   `json:"c"`
	// StaticLabels and Annotations of the rule, so that an orphan's resolved point carries
	// the same identity (and text) as its firing points did.
	StaticLabels map[string]string `json:"sl,omitempty"`
	Annotations  map[string]string `json:"an,omitempty"`
	Instances    []storedInstance  `json:"i"`
}

// storedInstance holds times as Unix nanoseconds (0: unset) and the value as text, so that
// NaN and infinities survive JSON.
type storedInstance struct {
	Labels      []string `json:"l,omitempty"`
	Fingerprint string   `json:"f"`
	Description string   `json:"d,omitempty"`
	State       string   `json:"s"`
	Value       string   `json:"v"`
	ActiveAt    int64    `json:"a,omitempty"`
	FiredAt     int64    `json:"fa,omitempty"`
	ClearedAt   int64    `json:"ca,omitempty"`
	ResolvedAt  int64    `json:"ra,omitempty"`
}

// orphan is a restored instance whose rule no longer exists (removed, renamed or regrouped):
// it is written as resolved once, at the first evaluation, and then forgotten.
type orphan struct {
	rule     *storedRule
	instance storedInstance
	value    float64
}

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// encodeState returns the stored form of every firing and resolved instance.
func encodeState(rules []*compiledRule) ([]byte, error) {
	st := storedState{Version: storageVersion, Rules: []storedRule{}}
	for _, r := range rules {
		var kept []storedInstance
		for _, in := range r.instances {
			if in.state != stateFiring && in.state != stateResolved {
				continue
			}
			kept = append(kept, storedInstance{
				Labels:      in.labels,
				Fingerprint: in.fingerprint,
				Description: in.description,
				State:       in.state.String(),
				Value:       strconv.FormatFloat(in.value, 'g', -1, 64),
				ActiveAt:    unixNanos(in.activeAt),
				FiredAt:     unixNanos(in.firedAt),
				ClearedAt:   unixNanos(in.clearedAt),
				ResolvedAt:  unixNanos(in.resolvedAt),
			})
		}
		if len(kept) == 0 {
			continue
		}
		st.Rules = append(st.Rules, storedRule{
			Name: r.cfg.Name, GroupBy: r.cfg.GroupBy, Severity: r.cfg.Severity,
			Threshold: r.thresholdText, Cooldown: r.cooldownText, Instances: kept,
			StaticLabels: r.cfg.Labels, Annotations: r.cfg.Annotations,
		})
	}
	return json.Marshal(st)
}

// decodeState parses the stored form; a record that does not make sense is counted in skipped
// and left out, the rest is kept.
func decodeState(data []byte) (rules []storedRule, skipped int, err error) {
	var st storedState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, 0, fmt.Errorf("not the alert processor's stored state: %w", err)
	}
	if st.Version != storageVersion {
		return nil, 0, fmt.Errorf("stored state has format version %d, this processor reads %d", st.Version, storageVersion)
	}
	for _, sr := range st.Rules {
		if sr.Name == "" {
			skipped += len(sr.Instances)
			continue
		}
		valid := sr.Instances[:0:0]
		for _, si := range sr.Instances {
			if si.Fingerprint == "" || len(si.Labels) != len(sr.GroupBy) ||
				(si.State != stateFiring.String() && si.State != stateResolved.String()) ||
				(si.State == stateResolved.String() && si.ResolvedAt == 0) {
				skipped++
				continue
			}
			if _, err := strconv.ParseFloat(si.Value, 64); err != nil {
				skipped++
				continue
			}
			valid = append(valid, si)
		}
		sr.Instances = valid
		rules = append(rules, sr)
	}
	return rules, skipped, nil
}

// restore puts the stored instances back at time now: under their rule when it still exists
// with the same group labels (same fingerprint), as orphans otherwise. It stops at
// max_instances. Called with p.mu held, before the first evaluation.
func (p *alertProcessor) restore(stored []storedRule, now time.Time) (restored, overflow int) {
	byName := make(map[string]*compiledRule, len(p.rules))
	for _, r := range p.rules {
		byName[r.cfg.Name] = r
	}
	for i := range stored {
		sr := &stored[i]
		r := byName[sr.Name]
		for _, si := range sr.Instances {
			if p.steps.instances+len(p.orphans) >= p.cfg.MaxInstances {
				overflow++
				continue
			}
			v, _ := strconv.ParseFloat(si.Value, 64) // checked by decodeState
			if r == nil || len(si.Labels) != len(r.cfg.GroupBy) || r.fingerprintOf(si.Labels) != si.Fingerprint {
				p.orphans = append(p.orphans, orphan{rule: sr, instance: si, value: v})
				continue
			}
			key := ""
			if len(r.cfg.GroupBy) > 0 {
				key = groupKey(si.Labels)
			}
			if r.instances[key] != nil {
				continue // a duplicate record; the first one stands
			}
			labelMap := make(map[string]string, len(si.Labels))
			for j, k := range r.cfg.GroupBy {
				labelMap[k] = si.Labels[j]
			}
			in := &instance{
				labels:      si.Labels,
				fingerprint: si.Fingerprint,
				description: r.description.render(labelMap),
				value:       v,
				activeAt:    fromUnixNanos(si.ActiveAt),
				firedAt:     fromUnixNanos(si.FiredAt),
				clearedAt:   fromUnixNanos(si.ClearedAt),
				resolvedAt:  fromUnixNanos(si.ResolvedAt),
			}
			if si.State == stateFiring.String() {
				in.state = stateFiring
				in.graceUntil = now.Add(p.cfg.StaleAfter)
			} else {
				in.state = stateResolved
			}
			r.instances[key] = in
			p.steps.instances++
			restored++
		}
	}
	return restored, overflow
}

// openStorage gets the storage client named by the storage key and restores the stored
// state. A missing or wrong extension is a configuration error; anything wrong with the
// data or reading it only costs the restored state, never the start.
func (p *alertProcessor) openStorage(ctx context.Context, host component.Host) error {
	if p.cfg.Storage == nil {
		return nil
	}
	client, err := storageclient.Open(ctx, host, *p.cfg.Storage, component.KindProcessor, p.id, storageName)
	if errors.Is(err, storageclient.ErrOpen) {
		p.storageError("open", "Cannot open the alert state storage; alert state will not survive a restart", err)
		return nil
	}
	if err != nil {
		return err
	}
	p.client = client
	data, err := client.Get(ctx, storageKey)
	if err != nil {
		p.storageError("read", "Cannot read the stored alert state; starting without it", err)
		return nil
	}
	if data == nil {
		return nil
	}
	stored, skipped, err := decodeState(data)
	if err != nil {
		p.storageError("decode", "Stored alert state is unreadable; starting without it", err)
		return nil
	}
	p.mu.Lock()
	restored, overflow := p.restore(stored, p.now())
	orphans := len(p.orphans)
	p.mu.Unlock()
	for outcome, n := range map[string]int{"restored": restored, "orphaned": orphans, "skipped": skipped + overflow} {
		if n > 0 {
			p.telemetry.ProcessorAlertRestored.Add(p.ctx, int64(n), p.attrs(attribute.String("outcome", outcome)))
		}
	}
	p.logger.Info("Restored alert state from storage",
		zap.Int("restored", restored), zap.Int("rule_gone", orphans),
		zap.Int("unreadable", skipped), zap.Int("over_max_instances", overflow))
	return nil
}

// persist writes the encoded state. A failure is logged (once until a write succeeds again)
// and counted; the next evaluation tries again.
func (p *alertProcessor) persist(ctx context.Context, data []byte) {
	err := p.client.Set(ctx, storageKey, data)
	if err == nil {
		p.writeFailing = false
		return
	}
	p.mu.Lock()
	p.steps.changed = true
	p.mu.Unlock()
	p.telemetry.ProcessorAlertStorageErrors.Add(p.ctx, 1, p.attrs(attribute.String("operation", "write")))
	if !p.writeFailing {
		p.writeFailing = true
		p.logger.Warn("Cannot store alert state; retrying after the next evaluation", zap.Error(err))
	}
}

func (p *alertProcessor) storageError(operation, msg string, err error) {
	p.telemetry.ProcessorAlertStorageErrors.Add(p.ctx, 1, p.attrs(attribute.String("operation", operation)))
	p.logger.Warn(msg, zap.String("storage", p.cfg.Storage.String()), zap.Error(err))
}

// closeStorage closes the storage client after the ticker has stopped.
func (p *alertProcessor) closeStorage(ctx context.Context) error {
	if p.client == nil {
		return nil
	}
	err := p.client.Close(ctx)
	p.client = nil
	if err != nil {
		return fmt.Errorf("storage: closing: %w", err)
	}
	return nil
}
