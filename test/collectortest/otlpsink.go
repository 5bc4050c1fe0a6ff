package collectortest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the otlp exporter compresses with gzip by default
)

// SinkSpan is one span an OTLPSink received, with the service.instance.id of its resource (which
// collector replica sent it).
type SinkSpan struct {
	Span     ptrace.Span
	Instance string
}

// OTLPSink is a backend on loopback: an OTLP/gRPC server that keeps every span it is sent, the
// latest point of every cumulative sum series (see CounterTotal), and drops logs.
type OTLPSink struct {
	ptraceotlp.UnimplementedGRPCServer
	Addr  string
	mu    sync.Mutex
	spans []SinkSpan
	// sums holds the latest point per series and start time, so a sender's restart (a new start
	// time, the counter from 0) adds a new entry instead of overwriting the old one.
	sums map[sumKey]sumPoint
}

type sumKey struct {
	metric, instance, attrs string
	start                   pcommon.Timestamp
}

type sumPoint struct {
	at    pcommon.Timestamp
	value float64
	attrs map[string]string
}

// NewOTLPSink serves on a free loopback port until tb ends.
func NewOTLPSink(tb testing.TB) *OTLPSink {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &OTLPSink{Addr: l.Addr().String(), sums: map[sumKey]sumPoint{}}
	srv := grpc.NewServer()
	ptraceotlp.RegisterGRPCServer(srv, s)
	plogotlp.RegisterGRPCServer(srv, &dropLogs{})
	pmetricotlp.RegisterGRPCServer(srv, &sinkMetrics{sink: s})
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(srv.Stop)
	return s
}

// Export keeps the spans of one request.
func (s *OTLPSink) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rss := req.Traces().ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		instance := ""
		if v, ok := rss.At(i).Resource().Attributes().Get("service.instance.id"); ok {
			instance = v.AsString()
		}
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := ptrace.NewSpan()
				spans.At(k).CopyTo(span)
				s.spans = append(s.spans, SinkSpan{Span: span, Instance: instance})
			}
		}
	}
	return ptraceotlp.NewExportResponse(), nil
}

// Spans copies what arrived so far.
func (s *OTLPSink) Spans() []SinkSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SinkSpan(nil), s.spans...)
}

// RootSpans are the spans without a parent (one per transaction: the workflow's root).
func (s *OTLPSink) RootSpans() []SinkSpan {
	var out []SinkSpan
	for _, sp := range s.Spans() {
		if sp.Span.ParentSpanID().IsEmpty() {
			out = append(out, sp)
		}
	}
	return out
}

// RootsByTrace counts root spans per trace id: a transaction exported twice shows as 2.
func (s *OTLPSink) RootsByTrace() map[pcommon.TraceID]int {
	out := map[pcommon.TraceID]int{}
	for _, sp := range s.RootSpans() {
		out[sp.Span.TraceID()]++
	}
	return out
}

type dropLogs struct {
	plogotlp.UnimplementedGRPCServer
}

func (*dropLogs) Export(context.Context, plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	return plogotlp.NewExportResponse(), nil
}

type sinkMetrics struct {
	pmetricotlp.UnimplementedGRPCServer
	sink *OTLPSink
}

// Export keeps the latest point of every cumulative sum.
func (m *sinkMetrics) Export(_ context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	s := m.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	rms := req.Metrics().ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		instance := ""
		if v, ok := rms.At(i).Resource().Attributes().Get("service.instance.id"); ok {
			instance = v.AsString()
		}
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				metric := ms.At(k)
				if metric.Type() != pmetric.MetricTypeSum || metric.Sum().AggregationTemporality() != pmetric.AggregationTemporalityCumulative {
					continue
				}
				dps := metric.Sum().DataPoints()
				for d := 0; d < dps.Len(); d++ {
					dp := dps.At(d)
					attrs := map[string]string{}
					dp.Attributes().Range(func(k string, v pcommon.Value) bool {
						attrs[k] = v.AsString()
						return true
					})
					key := sumKey{metric: metric.Name(), instance: instance, attrs: fmt.Sprint(attrs), start: dp.StartTimestamp()}
					value := dp.DoubleValue()
					if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
						value = float64(dp.IntValue())
					}
					if old, ok := s.sums[key]; !ok || dp.Timestamp() >= old.at {
						s.sums[key] = sumPoint{at: dp.Timestamp(), value: value, attrs: attrs}
					}
				}
			}
		}
	}
	return pmetricotlp.NewExportResponse(), nil
}

// CounterTotal sums cumulative counter metric over every sender (service.instance.id) and every
// start time of each: a sender restarted with its counter from 0 adds its new count to what it
// had reported before. Only points whose attributes include every entry of match count.
func (s *OTLPSink) CounterTotal(metric string, match map[string]string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0.0
	for key, p := range s.sums {
		if key.metric != metric || !containsAll(p.attrs, match) {
			continue
		}
		total += p.value
	}
	return total
}

// CounterByInstance is CounterTotal per sender.
func (s *OTLPSink) CounterByInstance(metric string, match map[string]string) map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]float64{}
	for key, p := range s.sums {
		if key.metric == metric && containsAll(p.attrs, match) {
			out[key.instance] += p.value
		}
	}
	return out
}

func containsAll(attrs, match map[string]string) bool {
	for k, v := range match {
		if attrs[k] != v {
			return false
		}
	}
	return true
}
