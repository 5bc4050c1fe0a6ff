// Package componentlifecycle runs the lifecycle test mdatagen generates for contrib
// components (generated_component_test.go), once for all of this distribution's components:
// create and shut down without starting, then create, start, consume one batch and shut
// down, twice in a row, for every signal the factory supports.
// It is imported by tests only.
package componentlifecycle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

// signal is one pipeline signal a factory may support.
type signal struct {
	name      string
	stability func() component.StabilityLevel
}

func supported(signals []signal) []string {
	var names []string
	for _, s := range signals {
		if s.stability() != component.StabilityLevelUndefined {
			names = append(names, s.name)
		}
	}
	return names
}

// Receiver checks a receiver factory with cfg for every signal it supports. Receivers
// consume nothing here: they are started and shut down, twice, as mdatagen's test does.
func Receiver(t *testing.T, f receiver.Factory, cfg component.Config) {
	create := func(name string) (component.Component, error) {
		set := receivertest.NewNopSettings(f.Type())
		switch name {
		case "traces":
			return f.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
		case "metrics":
			return f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
		default:
			return f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
		}
	}
	signals := supported([]signal{{"traces", f.TracesStability}, {"metrics", f.MetricsStability}, {"logs", f.LogsStability}})
	require.NotEmpty(t, signals)
	for _, name := range signals {
		t.Run(name+"-shutdown", func(t *testing.T) {
			c, err := create(name)
			require.NoError(t, err)
			require.NoError(t, c.Shutdown(context.Background()))
		})
		t.Run(name+"-lifecycle", func(t *testing.T) {
			for range 2 {
				c, err := create(name)
				require.NoError(t, err)
				require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
				require.NoError(t, c.Shutdown(context.Background()))
			}
		})
	}
}

// Processor checks a processor factory with cfg for every signal it supports, passing
// one small batch through each started processor.
func Processor(t *testing.T, f processor.Factory, cfg component.Config) {
	create := func(name string) (component.Component, error) {
		set := processortest.NewNopSettings(f.Type())
		switch name {
		case "traces":
			return f.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
		case "metrics":
			return f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
		default:
			return f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
		}
	}
	signals := supported([]signal{{"traces", f.TracesStability}, {"metrics", f.MetricsStability}, {"logs", f.LogsStability}})
	require.NotEmpty(t, signals)
	run(t, signals, create)
}

// Exporter checks an exporter factory with cfg for every signal it supports, handing
// one small batch to each started exporter.
func Exporter(t *testing.T, f exporter.Factory, cfg component.Config) {
	create := func(name string) (component.Component, error) {
		set := exportertest.NewNopSettings(f.Type())
		switch name {
		case "traces":
			return f.CreateTraces(context.Background(), set, cfg)
		case "metrics":
			return f.CreateMetrics(context.Background(), set, cfg)
		default:
			return f.CreateLogs(context.Background(), set, cfg)
		}
	}
	signals := supported([]signal{{"traces", f.TracesStability}, {"metrics", f.MetricsStability}, {"logs", f.LogsStability}})
	require.NotEmpty(t, signals)
	run(t, signals, create)
}

// Extension checks an extension factory with cfg, starting it with host (extensions it
// needs, e.g. storage) or with a nop host when host is nil.
func Extension(t *testing.T, f extension.Factory, cfg component.Config, host component.Host) {
	if host == nil {
		host = componenttest.NewNopHost()
	}
	create := func() (extension.Extension, error) {
		return f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	}
	t.Run("shutdown", func(t *testing.T) {
		e, err := create()
		require.NoError(t, err)
		require.NoError(t, e.Shutdown(context.Background()))
	})
	t.Run("lifecycle", func(t *testing.T) {
		for range 2 {
			e, err := create()
			require.NoError(t, err)
			require.NoError(t, e.Start(context.Background(), host))
			require.NoError(t, e.Shutdown(context.Background()))
		}
	})
}

// run is the processor and exporter test: both consume the batch of their signal.
func run(t *testing.T, signals []string, create func(name string) (component.Component, error)) {
	for _, name := range signals {
		t.Run(name+"-shutdown", func(t *testing.T) {
			c, err := create(name)
			require.NoError(t, err)
			require.NoError(t, c.Shutdown(context.Background()))
		})
		t.Run(name+"-lifecycle", func(t *testing.T) {
			for range 2 {
				c, err := create(name)
				require.NoError(t, err)
				require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
				require.NotPanics(t, func() { require.NoError(t, consume(c, name)) })
				require.NoError(t, c.Shutdown(context.Background()))
			}
		})
	}
}

// consume hands c one batch of the signal, read-only unless c says it mutates data.
func consume(c component.Component, name string) error {
	ctx := context.Background()
	switch name {
	case "traces":
		td := lifecycleTraces()
		if !c.(consumer.Traces).Capabilities().MutatesData {
			td.MarkReadOnly()
		}
		return c.(consumer.Traces).ConsumeTraces(ctx, td)
	case "metrics":
		md := lifecycleMetrics()
		if !c.(consumer.Metrics).Capabilities().MutatesData {
			md.MarkReadOnly()
		}
		return c.(consumer.Metrics).ConsumeMetrics(ctx, md)
	default:
		ld := lifecycleLogs()
		if !c.(consumer.Logs).Capabilities().MutatesData {
			ld.MarkReadOnly()
		}
		return c.(consumer.Logs).ConsumeLogs(ctx, ld)
	}
}

// The batches are mdatagen's: one item with one attribute, which none of the components
// treats as its own input (no multiagents.* metric, no alert record).

func lifecycleLogs() plog.Logs {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("resource", "R1")
	l := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	l.Body().SetStr("test log message")
	l.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	return logs
}

func lifecycleMetrics() pmetric.Metrics {
	metrics := pmetric.NewMetrics()
	rm := metrics.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("resource", "R1")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("test_metric")
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.Attributes().PutStr("test_attr", "value_1")
	dp.SetIntValue(123)
	dp.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	return metrics
}

func lifecycleTraces() ptrace.Traces {
	traces := ptrace.NewTraces()
	rs := traces.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("resource", "R1")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.Attributes().PutStr("test_attr", "value_1")
	span.SetName("test_span")
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(-time.Second)))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	return traces
}
