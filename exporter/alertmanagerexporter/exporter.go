package alertmanagerexporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/storageclient"
)

// maxBatch is the most alerts in one POST, Prometheus's maxBatchSize.
const maxBatch = 64

// storageKey is the one key under which the state is stored.
const storageKey = "alertmanager_alerts"

// shutdownGrace bounds the last pass at shutdown, as the notifiers' notify.ShutdownGrace.
const shutdownGrace = notify.ShutdownGrace

// endpoint is one Alertmanager; each has its own goroutine, so a slow or failing one never
// holds the others.
type endpoint struct {
	index    int
	postURL  string // may carry credentials: never logged
	name     string // redacted, for logs and telemetry
	kick     chan struct{}
	failures int       // failed passes in a row
	retryAt  time.Time // no pass before it after a failure
}

// amExporter tracks alert instances from multiagents.alerts and sends them to every endpoint.
type amExporter struct {
	cfg       *Config
	set       exporter.Settings
	logger    *zap.Logger
	clock     clockwork.Clock
	client    *http.Client
	endpoints []*endpoint
	telemetry *telemetry

	mu       sync.Mutex // guards tracker, store, reported
	tracker  *tracker
	store    storage.Client
	reported map[string]bool // messages logged once

	stop    chan struct{}
	wg      sync.WaitGroup
	started bool
	// manual (tests with an injected clock): no sender goroutines; SendDue sends, so each
	// step is deterministic.
	manual bool
	// stopSends ends requests in flight once the shutdown grace is over.
	stopSends       context.Context
	cancelStopSends context.CancelFunc
}

func newAMExporter(set exporter.Settings, cfg *Config, clock clockwork.Clock) (*amExporter, error) {
	tel, err := newTelemetry(set)
	if err != nil {
		return nil, err
	}
	e := &amExporter{
		cfg: cfg, set: set, logger: set.Logger, clock: clock, telemetry: tel,
		reported: make(map[string]bool), stop: make(chan struct{}),
	}
	e.stopSends, e.cancelStopSends = context.WithCancel(context.Background())
	for i, raw := range cfg.endpointList() {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("endpoints[%d]: not a URL", i)
		}
		post := *u
		post.Path = strings.TrimSuffix(u.Path, "/") + "/api/v2/alerts"
		e.endpoints = append(e.endpoints, &endpoint{
			index: i, postURL: post.String(), name: redactedEndpoint(u), kick: make(chan struct{}, 1),
		})
	}
	e.tracker = newTracker(cfg, len(e.endpoints))
	tel.observeTracked(func() int64 {
		e.mu.Lock()
		defer e.mu.Unlock()
		return int64(len(e.tracker.byFP))
	})
	return e, nil
}

// Start builds the HTTP client (auth extensions are looked up here), loads the stored state
// and starts one sender per endpoint; everything restored is sent at once.
func (e *amExporter) Start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("alertmanager: http client: %w", err)
	}
	e.client = client
	if err := e.load(ctx, host); err != nil {
		return err
	}
	e.mu.Lock()
	e.started = true
	e.mu.Unlock()
	if e.manual {
		return nil
	}
	for _, ep := range e.endpoints {
		e.wg.Add(1)
		go e.run(ep)
	}
	return nil
}

func (e *amExporter) load(ctx context.Context, host component.Host) error {
	if e.cfg.Storage == nil {
		return nil
	}
	client, err := storageclient.Open(ctx, host, *e.cfg.Storage, component.KindExporter, e.set.ID, "alertmanager")
	if err != nil {
		return err
	}
	data, err := client.Get(ctx, storageKey)
	if err != nil {
		_ = client.Close(ctx)
		return fmt.Errorf("storage: reading alert state: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.store = client
	if data != nil {
		evicted, err := e.tracker.load(data, e.clock.Now())
		if err != nil {
			// Starting empty loses startsAt and pending resolves; refusing to start would send nothing.
			e.logger.Warn("Stored Alertmanager alert state is unreadable; starting without it", zap.Error(err))
			e.telemetry.storageError(ctx)
		}
		e.telemetry.evict(ctx, evicted)
	}
	return nil
}

// persist writes the state; the caller holds e.mu. A failure is counted and logged once
// until a write succeeds: the state is written again at the next change.
func (e *amExporter) persist(ctx context.Context) {
	if e.store == nil {
		return
	}
	data, err := e.tracker.marshal()
	if err == nil {
		err = e.store.Set(ctx, storageKey, data)
	}
	if err != nil {
		e.telemetry.storageError(ctx)
		e.logOnce("storage", "Cannot store the Alertmanager alert state; retried at the next change", zap.Error(err))
		return
	}
	delete(e.reported, "storage")
}

// logOnce warns with msg the first time key is reported (until cleared); the caller holds e.mu.
func (e *amExporter) logOnce(key, msg string, fields ...zap.Field) {
	if !e.reported[key] {
		e.reported[key] = true
		e.logger.Warn(msg, fields...)
	}
}

// ConsumeMetrics records the multiagents.alerts points and wakes the senders; it never waits
// for an Alertmanager, so the pipeline is never held by one.
func (e *amExporter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	alerts, errs := notify.AlertsFromMetrics(md)
	now := e.clock.Now()
	e.mu.Lock()
	if len(errs) > 0 {
		e.telemetry.invalid(ctx, len(errs))
		e.logOnce("invalid", "Skipping invalid multiagents.alerts data points (logged once)", zap.Error(errors.Join(errs...)))
	}
	changed := false
	for _, a := range alerts {
		c, evicted := e.tracker.observe(a, now)
		changed = changed || c
		e.telemetry.evict(ctx, evicted)
	}
	if e.tracker.expire(now) || changed {
		e.persist(ctx)
	}
	e.mu.Unlock()
	if changed {
		for _, ep := range e.endpoints {
			select {
			case ep.kick <- struct{}{}:
			default:
			}
		}
	}
	return nil
}

// run is endpoint ep's sender: it sleeps until something is due there (or news arrives), sends
// it, and at shutdown makes one last pass within the grace.
func (e *amExporter) run(ep *endpoint) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		now := e.clock.Now()
		due, wake := e.tracker.due(ep.index, now)
		if len(due) > 0 {
			wake = now
		}
		if !wake.IsZero() && wake.Before(ep.retryAt) { // failing: nothing before the retry
			wake = ep.retryAt
		}
		e.mu.Unlock()
		var timer <-chan time.Time
		if !wake.IsZero() {
			timer = e.clock.After(max(wake.Sub(now), 0))
		}
		select {
		case <-e.stop:
			e.sendPass(e.stopSends, ep)
			return
		case <-ep.kick:
		case <-timer:
		}
		e.sendPass(e.stopSends, ep)
	}
}

// SendDue makes one pass over every endpoint now (tests with an injected clock call it after
// stepping the clock; the senders do the same on their own).
func (e *amExporter) SendDue(ctx context.Context) {
	for _, ep := range e.endpoints {
		e.sendPass(ctx, ep)
	}
}

// sendPass sends what is due at ep, in batches of maxBatch. The first failing batch ends the
// pass: the rest stays due and is tried at ep's next retry (retry_on_failure's backoff, or the
// next resend when retries are off).
func (e *amExporter) sendPass(ctx context.Context, ep *endpoint) {
	e.mu.Lock()
	now := e.clock.Now()
	if e.tracker.expire(now) {
		e.persist(ctx)
	}
	if now.Before(ep.retryAt) {
		e.mu.Unlock()
		return
	}
	due, _ := e.tracker.due(ep.index, now)
	batches := make([][]postableAlert, 0, (len(due)+maxBatch-1)/maxBatch)
	versions := make([]map[string]uint64, 0, cap(batches))
	for start := 0; start < len(due); start += maxBatch {
		part := due[start:min(start+maxBatch, len(due))]
		batch := make([]postableAlert, len(part))
		sent := make(map[string]uint64, len(part))
		for i, in := range part {
			batch[i] = e.tracker.postable(in)
			sent[in.Fingerprint] = in.Version
		}
		batches, versions = append(batches, batch), append(versions, sent)
	}
	e.mu.Unlock()

	for i, batch := range batches {
		err := e.post(ctx, ep, batch)
		e.mu.Lock()
		now := e.clock.Now()
		switch {
		case err == nil:
			e.tracker.markDelivered(ep.index, versions[i], now)
			e.telemetry.sent(ctx, ep.name, len(batch))
			if ep.failures > 0 {
				e.logger.Info("Alertmanager reachable again", zap.String("endpoint", ep.name), zap.Int("failed_attempts", ep.failures))
			}
			ep.failures, ep.retryAt = 0, time.Time{}
		case consumererror.IsPermanent(err):
			// A refusal is not retried at once: the alerts are sent again at the next resend.
			e.tracker.markDelivered(ep.index, versions[i], now)
			e.telemetry.rejected(ctx, ep.name, len(batch))
			e.logger.Warn("Alertmanager refused alerts", zap.String("endpoint", ep.name), zap.Int("alerts", len(batch)), zap.Error(err))
		default:
			ep.failures++
			delay := e.retryDelay(ep.failures, err)
			ep.retryAt = now.Add(delay)
			e.telemetry.failed(ctx, ep.name)
			// The first failure of a streak is a warning, the rest debug: each is counted.
			log := e.logger.Debug
			if ep.failures == 1 {
				log = e.logger.Warn
			}
			log("Sending alerts to Alertmanager failed; retrying", zap.String("endpoint", ep.name),
				zap.Int("alerts", len(batch)), zap.Duration("retry_in", delay), zap.Error(err))
		}
		e.mu.Unlock()
		if err != nil && !consumererror.IsPermanent(err) {
			return
		}
	}
}

// retryDelay is retry_on_failure's exponential backoff for the attempt-th failure in a row, or
// an Alertmanager's Retry-After when longer. With retries off, the next try is a resend later.
func (e *amExporter) retryDelay(attempt int, err error) time.Duration {
	return notify.BackoffDelay(e.cfg.BackOffConfig, attempt, e.cfg.ResendInterval, err)
}

// post sends one batch. A transport error never carries the URL (it may hold credentials).
func (e *amExporter) post(ctx context.Context, ep *endpoint, batch []postableAlert) error {
	body, err := json.Marshal(batch)
	if err != nil {
		return consumererror.NewPermanent(err)
	}
	resp, err := notify.PostJSON(ctx, e.client, ep.postURL, body)
	if err != nil {
		return err
	}
	if resp.Status/100 == 2 {
		return nil
	}
	return notify.ErrorForStatus("alertmanager", resp, e.clock.Now())
}

// Shutdown makes one last pass per endpoint (a resolve seen just now still goes out) within
// shutdownGrace, then closes the storage client.
func (e *amExporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	started := e.started
	e.started = false
	e.mu.Unlock()
	if started {
		close(e.stop)
		done := make(chan struct{})
		go func() { e.wg.Wait(); close(done) }()
		grace := time.NewTimer(shutdownGrace)
		defer grace.Stop()
		select {
		case <-done:
		case <-ctx.Done():
			e.cancelStopSends()
			<-done
		case <-grace.C:
			e.cancelStopSends()
			<-done
		}
	}
	e.cancelStopSends()
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.store == nil {
		return nil
	}
	err := e.store.Close(ctx)
	e.store = nil
	return err
}
