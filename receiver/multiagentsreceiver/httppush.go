package multiagentsreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
)

const (
	eventsPath = "/v1/events"
	// retryAfterSeconds is what a pusher is told to wait when the pipeline refuses data.
	retryAfterSeconds = 5
	// maxReportedErrors bounds the per-event reasons echoed back in one response.
	maxReportedErrors = 100
)

// pushResponse is the body of every /v1/events answer.
type pushResponse struct {
	Accepted int           `json:"accepted"`
	Rejected int           `json:"rejected"`
	Errors   []pushFailure `json:"errors,omitempty"`
	Message  string        `json:"message,omitempty"`
}

type pushFailure struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// startHTTP serves POST /v1/events through confighttp, so TLS, auth extensions,
// decompression (gzip) and the body limit come from the standard server settings.
func (r *multiAgentsReceiver) startHTTP(ctx context.Context, host component.Host) error {
	cfg := r.cfg.HTTP.Get()
	mux := http.NewServeMux()
	mux.HandleFunc(eventsPath, r.handleEvents)
	ln, err := cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("http: cannot listen on %q: %w", cfg.NetAddr.Endpoint, err)
	}
	srv, err := cfg.ToServer(ctx, host.GetExtensions(), r.settings.TelemetrySettings, mux)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("http: %w", err)
	}
	r.httpServer = srv
	r.httpAddr = ln.Addr().String()
	r.logger.Info("Accepting MultiAgents events over HTTP", zap.String("endpoint", ln.Addr().String()), zap.String("path", eventsPath))
	// In the wait group so that Shutdown returns only after Serve has.
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	return nil
}

func writeJSON(w http.ResponseWriter, status int, body pushResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (r *multiAgentsReceiver) handleEvents(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, pushResponse{Message: "use POST"})
		return
	}
	limit := r.cfg.HTTP.Get().MaxRequestBodySize
	// The limit also applies after decompression: a small gzip body may inflate hugely.
	body, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge) || int64(len(body)) > limit:
		writeJSON(w, http.StatusRequestEntityTooLarge, pushResponse{Message: fmt.Sprintf("body exceeds %d bytes", limit)})
		return
	case err != nil:
		writeJSON(w, http.StatusBadRequest, pushResponse{Message: "cannot read body: " + err.Error()})
		return
	}

	items := eventcodec.SplitEvents(body)
	resp := pushResponse{}
	b := newOutputBatch()
	for i, item := range items {
		ev, err := eventcodec.Decode(item)
		if err != nil {
			reason := r.countRejected(err, "http", req.RemoteAddr)
			resp.Rejected++
			if len(resp.Errors) < maxReportedErrors {
				resp.Errors = append(resp.Errors, pushFailure{Index: i, Reason: reason, Detail: err.Error()})
			}
			continue
		}
		resp.Accepted++
		if !r.cfg.ownsTransaction(ev.TransactionID) {
			// Accepted but not assembled: another replica owns the transaction. Pushers route
			// by transaction id when replicas do not share one bus (see README).
			r.telemetry.ReceiverMultiagentsOtherPartitionEvents.Add(req.Context(), 1, r.otherPartitionHTTP)
			continue
		}
		r.asm.apply(ev, "", b)
	}
	if resp.Accepted == 0 {
		if len(items) == 0 {
			resp.Message = "no events in body"
		}
		writeJSON(w, http.StatusBadRequest, resp)
		return
	}
	if err := r.flush(req.Context(), b, r.obsHTTP); err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		resp.Message = "the pipeline refused the data; retry later"
		writeJSON(w, http.StatusServiceUnavailable, resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
