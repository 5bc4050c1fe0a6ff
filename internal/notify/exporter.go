package notify

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// HelperSettings are the exporterhelper settings every notifier exporter hands over.
type HelperSettings struct {
	Queue configoptional.Optional[exporterhelper.QueueBatchConfig]
	Retry configretry.BackOffConfig
}

// NewMetricsExporter builds the exporterhelper exporter around n for a metrics pipeline,
// wrapped so that only multiagents.alerts enters its queue.
func (n *Notifier) NewMetricsExporter(ctx context.Context, set exporter.Settings, cfg component.Config, h HelperSettings) (exporter.Metrics, error) {
	exp, err := exporterhelper.NewMetrics(ctx, set, cfg, n.ConsumeMetrics, n.helperOptions(h)...)
	if err != nil {
		return nil, err
	}
	return n.WrapMetrics(exp), nil
}

// NewLogsExporter builds the exporterhelper exporter around n for a logs pipeline, wrapped so
// that only records at or above min_severity enter its queue.
func (n *Notifier) NewLogsExporter(ctx context.Context, set exporter.Settings, cfg component.Config, h HelperSettings) (exporter.Logs, error) {
	exp, err := exporterhelper.NewLogs(ctx, set, cfg, n.ConsumeLogs, n.helperOptions(h)...)
	if err != nil {
		return nil, err
	}
	return n.WrapLogs(exp), nil
}

// helperOptions wires exporterhelper. It sets no push timeout: each Sender bounds its own
// requests (the exporter's `timeout`), so waiting for the rate limit is not cut short.
func (n *Notifier) helperOptions(h HelperSettings) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(n.Start),
		exporterhelper.WithShutdown(n.Shutdown),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{}),
		exporterhelper.WithRetry(h.Retry),
		exporterhelper.WithQueue(h.Queue),
	}
}

// ValidateHelper checks the exporterhelper settings every notifier exporter needs as they are:
// one queue consumer, or a resolve could be handed over before its firing; and a positive
// request timeout, since exporterhelper's own is off (see helperOptions) and a request with
// none could hold the queue, and shutdown, for ever.
func ValidateHelper(queue configoptional.Optional[exporterhelper.QueueBatchConfig], timeout time.Duration) []error {
	var errs []error
	if q := queue.Get(); q != nil && q.NumConsumers != 1 {
		errs = append(errs, fmt.Errorf("sending_queue::num_consumers: must be 1 so notifications keep their order, got %d", q.NumConsumers))
	}
	if timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout: must be positive, got %s", timeout))
	}
	return errs
}
