package workerhealthprocessor

import (
	"testing"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/componentlifecycle"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
)

func TestComponentLifecycle(t *testing.T) {
	componentlifecycle.Processor(t, NewFactory(), metadata.Type, componentlifecycle.Default(NewFactory()))
}
