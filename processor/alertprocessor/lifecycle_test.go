package alertprocessor

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

func TestComponentFactoryType(t *testing.T) {
	require.Equal(t, metadata.Type, NewFactory().Type())
}

func TestComponentConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()))
}

func TestComponentLifecycle(t *testing.T) {
	componentlifecycle.Processor(t, NewFactory(), NewFactory().CreateDefaultConfig())
}
