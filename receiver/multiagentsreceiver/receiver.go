package multiagentsreceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
)

// busReceiver is a placeholder at this stage: it starts and stops cleanly and emits nothing.
type busReceiver struct{}

func (*busReceiver) Start(context.Context, component.Host) error { return nil }

func (*busReceiver) Shutdown(context.Context) error { return nil }
