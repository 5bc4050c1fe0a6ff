//go:build e2e

package e2e

import (
	"context"
	"net"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the otlp exporter compresses with gzip by default
)

// otlpSink is a tracing backend on loopback: an OTLP/gRPC server that keeps every span it is sent
// and accepts logs and metrics (the collector exports those to the same place).
type otlpSink struct {
	ptraceotlp.UnimplementedGRPCServer
	mu    sync.Mutex
	spans []ptrace.Span
	addr  string
}

func newOTLPSink(t *testing.T) *otlpSink {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &otlpSink{addr: l.Addr().String()}
	srv := grpc.NewServer()
	ptraceotlp.RegisterGRPCServer(srv, s)
	plogotlp.RegisterGRPCServer(srv, &logsSink{})
	pmetricotlp.RegisterGRPCServer(srv, &metricsSink{})
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return s
}

func (s *otlpSink) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rss := req.Traces().ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := ptrace.NewSpan()
				spans.At(k).CopyTo(span)
				s.spans = append(s.spans, span)
			}
		}
	}
	return ptraceotlp.NewExportResponse(), nil
}

// trace returns the spans received for one trace id.
func (s *otlpSink) trace(id [16]byte) []ptrace.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ptrace.Span
	for _, sp := range s.spans {
		if [16]byte(sp.TraceID()) == id {
			out = append(out, sp)
		}
	}
	return out
}

type logsSink struct {
	plogotlp.UnimplementedGRPCServer
}

func (*logsSink) Export(context.Context, plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	return plogotlp.NewExportResponse(), nil
}

type metricsSink struct {
	pmetricotlp.UnimplementedGRPCServer
}

func (*metricsSink) Export(context.Context, pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	return pmetricotlp.NewExportResponse(), nil
}

// count is how many spans arrived in all.
func (s *otlpSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.spans)
}
