package alertprocessor

import (
	"testing"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

func TestComponentLifecycle(t *testing.T) {
	componentlifecycle.Processor(t, NewFactory(), metadata.Type, componentlifecycle.Default(NewFactory()))
}
