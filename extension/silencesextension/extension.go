package silencesextension

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/extension/silencesextension/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/storageclient"
)

const (
	silencesPath = "/api/v2/silences"
	silencePath  = "/api/v2/silence/"
	statusPath   = "/api/v2/status"

	storageName = "silences"
	storageKey  = "silences"

	// forgetInterval is how often expired silences past retention are dropped (and the
	// storage rewritten); retention is counted in hours, so a minute late is nothing.
	forgetInterval = time.Minute
)

// silencesExtension serves the silences API and implements Silencer.
type silencesExtension struct {
	cfg       *Config
	settings  extension.Settings
	logger    *zap.Logger
	now       func() time.Time // injectable clock
	store     *store
	telemetry *metadata.TelemetryBuilder
	extAttr   attribute.KeyValue
	startedAt time.Time

	client    storage.Client // nil without the storage key
	persistMu sync.Mutex     // orders storage writes, so the last one holds the latest set

	server  *http.Server
	addr    string         // the address listened on (tests use port 0)
	serving sync.WaitGroup // the Serve goroutine, so that Shutdown returns after it
	stop    chan struct{}
	done    chan struct{}
}

var (
	_ extension.Extension = (*silencesExtension)(nil)
	_ Silencer            = (*silencesExtension)(nil)
)

func newSilencesExtension(set extension.Settings, cfg *Config, clock clockwork.Clock) (*silencesExtension, error) {
	e := &silencesExtension{
		cfg: cfg, settings: set, logger: set.Logger, now: clock.Now,
		store:   newStore(cfg.MaxSilences, cfg.Retention),
		extAttr: attribute.String("extension", set.ID.String()),
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	err = tb.RegisterExtensionSilencesCallback(func(_ context.Context, o metric.Observer) error {
		e.observeSilences(func(v int64, opts ...metric.ObserveOption) { o.ObserveInt64(tb.ExtensionSilences, v, opts...) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.telemetry = tb
	return e, nil
}

// Silenced implements Silencer.
func (e *silencesExtension) Silenced(labels map[string]string, now time.Time) []string {
	return e.store.Silenced(labels, now)
}

func (e *silencesExtension) Start(ctx context.Context, host component.Host) error {
	e.startedAt = e.now()
	if err := e.openStorage(ctx, host); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+silencesPath, e.handleList)
	mux.HandleFunc("POST "+silencesPath, e.handlePost)
	mux.HandleFunc("GET "+silencePath+"{id}", e.handleGet)
	mux.HandleFunc("DELETE "+silencePath+"{id}", e.handleDelete)
	mux.HandleFunc("GET "+statusPath, e.handleStatus)
	ln, err := e.cfg.ToListener(ctx)
	if err != nil {
		e.closeStorage(ctx)
		return fmt.Errorf("endpoint: cannot listen on %q: %w", e.cfg.NetAddr.Endpoint, err)
	}
	srv, err := e.cfg.ToServer(ctx, host.GetExtensions(), e.settings.TelemetrySettings, mux)
	if err != nil {
		_ = ln.Close()
		e.closeStorage(ctx)
		return err
	}
	e.server, e.addr = srv, ln.Addr().String()
	e.logger.Info("Serving Alertmanager's silences API", zap.String("endpoint", e.addr))
	e.serving.Add(1)
	go func() {
		defer e.serving.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	e.stop, e.done = make(chan struct{}), make(chan struct{})
	go e.runForgetter(e.stop, e.done)
	return nil
}

func (e *silencesExtension) Shutdown(ctx context.Context) error {
	var err error
	if e.server != nil {
		err = e.server.Shutdown(ctx)
		e.serving.Wait()
		e.server = nil
	}
	if e.stop != nil {
		close(e.stop)
		<-e.done
		e.stop = nil
	}
	e.closeStorage(ctx)
	e.telemetry.Shutdown()
	return err
}

func (e *silencesExtension) runForgetter(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ticker := time.NewTicker(forgetInterval)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
			e.forgetExpired()
		}
	}
}

// forgetExpired drops the silences past retention and stores the rest when any was dropped.
func (e *silencesExtension) forgetExpired() {
	if n := e.store.forget(e.now()); n > 0 {
		e.recordChanges(changes{forgotten: n})
		e.persist(context.Background())
	}
}

func (e *silencesExtension) attrs(kv ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(append([]attribute.KeyValue{e.extAttr}, kv...)...))
}

func (e *silencesExtension) observeSilences(observe func(int64, ...metric.ObserveOption)) {
	counts := e.store.counts(e.now())
	for _, st := range states {
		observe(int64(counts[st]), e.attrs(attribute.String("state", string(st))))
	}
}

func (e *silencesExtension) recordChanges(ch changes) {
	ctx := context.Background()
	if ch.forgotten > 0 {
		e.telemetry.ExtensionSilencesForgotten.Add(ctx, int64(ch.forgotten), e.attrs(attribute.String("reason", "retention")))
	}
	if ch.evicted > 0 {
		e.telemetry.ExtensionSilencesForgotten.Add(ctx, int64(ch.evicted), e.attrs(attribute.String("reason", "evicted")))
	}
}

// refuse answers an error as Alertmanager's API does: the status and the message as a JSON
// string.
func (e *silencesExtension) refuse(w http.ResponseWriter, status int, reason, msg string) {
	e.telemetry.ExtensionSilencesRefused.Add(context.Background(), 1, e.attrs(attribute.String("reason", reason)))
	writeJSON(w, status, msg)
}

// refuseWithCode answers as Alertmanager's OpenAPI layer does (an unparseable body, a schema
// violation): {"code": code, "message": msg}.
func (e *silencesExtension) refuseWithCode(w http.ResponseWriter, status, code int, msg string) {
	e.telemetry.ExtensionSilencesRefused.Add(context.Background(), 1, e.attrs(attribute.String("reason", "invalid")))
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

// validID refuses a path id that is not a UUID, as Alertmanager's schema does (422).
func (e *silencesExtension) validID(w http.ResponseWriter, id string) bool {
	if uuidSyntax.MatchString(id) {
		return true
	}
	e.refuseWithCode(w, http.StatusUnprocessableEntity, 601, fmt.Sprintf("silenceID in path must be of type uuid: %q", id))
	return false
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// maxSilenceBody bounds a POST body: a silence is a few matchers and a comment.
const maxSilenceBody = 1 << 20

func (e *silencesExtension) handlePost(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSilenceBody+1))
	if err != nil {
		e.refuse(w, http.StatusBadRequest, "invalid", "cannot read the request body: "+err.Error())
		return
	}
	if len(body) > maxSilenceBody {
		e.refuse(w, http.StatusRequestEntityTooLarge, "invalid", fmt.Sprintf("a silence is at most %d bytes", maxSilenceBody))
		return
	}
	var ps postableSilence
	if err := json.Unmarshal(body, &ps); err != nil {
		e.refuseWithCode(w, http.StatusBadRequest, http.StatusBadRequest, `parsing silence body from "" failed, because `+err.Error())
		return
	}
	s, err := ps.toSilence()
	if err != nil {
		code := 602
		var schema *schemaError
		if errors.As(err, &schema) {
			code = schema.code
		}
		e.refuseWithCode(w, http.StatusUnprocessableEntity, code, err.Error())
		return
	}
	id, ch, err := e.store.set(s, e.now().UTC())
	e.recordChanges(ch)
	var bad *invalidError
	switch {
	case errors.As(err, &bad):
		e.refuse(w, http.StatusBadRequest, "invalid", bad.msg)
		return
	case errors.Is(err, errNotFound):
		e.refuse(w, http.StatusNotFound, "not_found", "silence not found")
		return
	case errors.Is(err, errFull):
		e.refuse(w, http.StatusBadRequest, "full", fmt.Sprintf(
			"silence limit reached: %d pending or active silences (max_silences); expire some first", e.cfg.MaxSilences))
		return
	case err != nil:
		e.refuse(w, http.StatusInternalServerError, "invalid", err.Error())
		return
	}
	e.persist(r.Context())
	e.logger.Info("Silence set", zap.String("id", id), zap.String("created_by", s.CreatedBy),
		zap.Time("starts_at", s.StartsAt), zap.Time("ends_at", s.EndsAt))
	writeJSON(w, http.StatusOK, map[string]string{"silenceID": id})
}

func (e *silencesExtension) handleList(w http.ResponseWriter, r *http.Request) {
	var filters []filterMatcher
	for _, text := range r.URL.Query()["filter"] {
		f, err := parseFilter(text)
		if err != nil {
			e.refuse(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		filters = append(filters, f)
	}
	writeJSON(w, http.StatusOK, e.store.list(filters, e.now().UTC()))
}

func (e *silencesExtension) handleGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !e.validID(w, id) {
		return
	}
	s, ok := e.store.get(id)
	if !ok {
		// Alertmanager answers this 404 with an empty body.
		e.telemetry.ExtensionSilencesRefused.Add(r.Context(), 1, e.attrs(attribute.String("reason", "not_found")))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, gettableSilence{Silence: s, Status: silenceStatus{State: s.State(e.now())}})
}

func (e *silencesExtension) handleDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !e.validID(w, id) {
		return
	}
	if err := e.store.expire(id, e.now().UTC()); err != nil {
		// Alertmanager 0.25 answers 500 here, later versions 404: 404 is what it is.
		e.refuse(w, http.StatusNotFound, "not_found", "silence not found")
		return
	}
	e.persist(r.Context())
	e.logger.Info("Silence expired", zap.String("id", id))
	w.WriteHeader(http.StatusOK)
}

// handleStatus is the minimum amtool asks for before each command (its version check). It
// leaves versionInfo out, so amtool carries on without warning of a version mismatch.
func (e *silencesExtension) handleStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"cluster": map[string]any{"status": "disabled", "peers": []any{}},
		"config":  map[string]string{"original": ""},
		"uptime":  e.startedAt.UTC(),
	})
}

// openStorage gets the storage client named by the storage key and restores the silences.
// A missing or wrong extension fails Start; a storage that cannot be read is logged and
// counted, and the extension starts empty.
func (e *silencesExtension) openStorage(ctx context.Context, host component.Host) error {
	if e.cfg.Storage == nil {
		return nil
	}
	client, err := storageclient.Open(ctx, host, *e.cfg.Storage, component.KindExtension, e.settings.ID, storageName)
	if err != nil {
		return err
	}
	e.client = client
	data, err := client.Get(ctx, storageKey)
	if err != nil {
		e.storageError("read", "Cannot read the stored silences; starting without them", err)
		return nil
	}
	if data == nil {
		return nil
	}
	loaded, skipped, err := e.store.restore(data, e.now())
	if err != nil {
		e.storageError("decode", "Stored silences are unreadable; starting without them", err)
		return nil
	}
	e.logger.Info("Restored silences from storage", zap.Int("silences", loaded), zap.Int("skipped", skipped))
	return nil
}

// persist writes every silence to the storage extension (when one is configured).
func (e *silencesExtension) persist(ctx context.Context) {
	if e.client == nil {
		return
	}
	e.persistMu.Lock()
	defer e.persistMu.Unlock()
	data, err := e.store.encode()
	if err == nil {
		err = e.client.Set(context.WithoutCancel(ctx), storageKey, data)
	}
	if err != nil {
		e.storageError("write", "Cannot store the silences; they will not survive a restart", err)
	}
}

func (e *silencesExtension) storageError(operation, msg string, err error) {
	e.telemetry.ExtensionSilencesStorageErrors.Add(context.Background(), 1, e.attrs(attribute.String("operation", operation)))
	e.logger.Warn(msg, zap.String("storage", e.cfg.Storage.String()), zap.Error(err))
}

func (e *silencesExtension) closeStorage(ctx context.Context) {
	if e.client == nil {
		return
	}
	if err := e.client.Close(ctx); err != nil {
		e.logger.Warn("Cannot close the silences storage", zap.Error(err))
	}
	e.client = nil
}
