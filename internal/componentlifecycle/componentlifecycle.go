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

// Case is one configuration to run the lifecycle with, named for its subtest.
type Case struct {
	Name   string
	Config component.Config
}

// Default is the one case of a component checked with its default configuration.
func Default(f component.Factory) []Case {
	return []Case{{Name: "default", Config: f.CreateDefaultConfig()}}
}

// signalFactory is what receiver, processor and exporter factories share: the stability of
// each signal, undefined for a signal the factory does not support.
type signalFactory interface {
	component.Factory
	TracesStability() component.StabilityLevel
	MetricsStability() component.StabilityLevel
	LogsStability() component.StabilityLevel
}

// createFunc creates the component of one signal with one configuration.
type createFunc func(signal string, cfg component.Config) (component.Component, error)

// Receiver checks a receiver factory for every signal it supports. Receivers consume
// nothing here: they are started and shut down, twice, as mdatagen's test does.
func Receiver(t *testing.T, f receiver.Factory, want component.Type, cases []Case) {
	create := func(signal string, cfg component.Config) (component.Component, error) {
		set := receivertest.NewNopSettings(f.Type())
		switch signal {
		case "traces":
			return f.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
		case "metrics":
			return f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
		default:
			return f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
		}
	}
	run(t, f, want, cases, create, false)
}

// Processor checks a processor factory for every signal it supports, passing one small
// batch through each started processor.
func Processor(t *testing.T, f processor.Factory, want component.Type, cases []Case) {
	create := func(signal string, cfg component.Config) (component.Component, error) {
		set := processortest.NewNopSettings(f.Type())
		switch signal {
		case "traces":
			return f.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
		case "metrics":
			return f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
		default:
			return f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
		}
	}
	run(t, f, want, cases, create, true)
}

// Exporter checks an exporter factory for every signal it supports, handing one small
// batch to each started exporter.
func Exporter(t *testing.T, f exporter.Factory, want component.Type, cases []Case) {
	create := func(signal string, cfg component.Config) (component.Component, error) {
		set := exportertest.NewNopSettings(f.Type())
		switch signal {
		case "traces":
			return f.CreateTraces(context.Background(), set, cfg)
		case "metrics":
			return f.CreateMetrics(context.Background(), set, cfg)
		default:
			return f.CreateLogs(context.Background(), set, cfg)
		}
	}
	run(t, f, want, cases, create, true)
}

// Extension checks an extension factory, starting it with host (extensions it needs, e.g.
// storage) or with a nop host when host is nil.
func Extension(t *testing.T, f extension.Factory, want component.Type, cases []Case, host component.Host) {
	checkFactory(t, f, want)
	if host == nil {
		host = componenttest.NewNopHost()
	}
	for _, c := range cases {
		create := func() (extension.Extension, error) {
			return f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), c.Config)
		}
		t.Run(c.Name+"/shutdown", func(t *testing.T) {
			e, err := create()
			require.NoError(t, err)
			require.NoError(t, e.Shutdown(context.Background()))
		})
		t.Run(c.Name+"/lifecycle", func(t *testing.T) {
			for range 2 {
				e, err := create()
				require.NoError(t, err)
				require.NoError(t, e.Start(context.Background(), host))
				require.NoError(t, e.Shutdown(context.Background()))
			}
		})
	}
}

// checkFactory is mdatagen's TestComponentFactoryType and TestComponentConfigStruct.
func checkFactory(t *testing.T, f component.Factory, want component.Type) {
	t.Run("factory", func(t *testing.T) {
		require.Equal(t, want, f.Type())
		require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	})
}

// run creates and shuts down, then twice creates, starts, (if consume) hands a batch to,
// and shuts down the component of every supported signal with every configuration.
func run(t *testing.T, f signalFactory, want component.Type, cases []Case, create createFunc, consumes bool) {
	checkFactory(t, f, want)
	var signals []string
	for _, s := range []struct {
		name      string
		stability component.StabilityLevel
	}{{"traces", f.TracesStability()}, {"metrics", f.MetricsStability()}, {"logs", f.LogsStability()}} {
		if s.stability != component.StabilityLevelUndefined {
			signals = append(signals, s.name)
		}
	}
	require.NotEmpty(t, signals, "the factory supports no signal")
	for _, c := range cases {
		for _, signal := range signals {
			t.Run(c.Name+"/"+signal+"-shutdown", func(t *testing.T) {
				comp, err := create(signal, c.Config)
				require.NoError(t, err)
				require.NoError(t, comp.Shutdown(context.Background()))
			})
			t.Run(c.Name+"/"+signal+"-lifecycle", func(t *testing.T) {
				for range 2 {
					comp, err := create(signal, c.Config)
					require.NoError(t, err)
					require.NoError(t, comp.Start(context.Background(), componenttest.NewNopHost()))
					if consumes {
						require.NotPanics(t, func() { require.NoError(t, consume(comp, signal)) })
					}
					require.NoError(t, comp.Shutdown(context.Background()))
				}
			})
		}
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
