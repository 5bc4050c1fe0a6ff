// Package notify is what the notifier exporters (slack, pagerduty, email) share, modelled on
// Alertmanager's notify package: one core, one small Sender per integration.
//
// The flow of one batch, in order:
//
//  0. Filter (filter.go): Notifier.WrapMetrics and WrapLogs wrap the exporter so that only
//     multiagents.alerts (or log records at or above min_severity) enter exporterhelper's
//     sending_queue; a notifier at the end of the one metrics pipeline sees every metric.
//  1. Read alerts: AlertsFromMetrics takes the multiagents.alerts gauge the alert processor
//     writes (attributes alertname, alertstate, severity, fingerprint, description, threshold,
//     cooldown, plus the rule's group labels; the value is the observed value).
//     AlertsFromLogs takes log records at or above min_severity as firing alerts. Invalid
//     points are skipped, counted and logged once; their neighbours go on.
//  2. Decide (ledger.go): pending never notifies; the first firing does; a still-firing
//     instance again only after its cooldown (else repeat_interval); resolved once, and only
//     when its firing was delivered. The bookkeeping is capped (max_tracked_alerts, evicting
//     the instance told longest ago, counted) and, with a storage extension, saved after every
//     change so a restart neither re-pages nor loses a resolve.
//  3. Wait for the destination's token bucket (rate_limit), shared by every notifier that
//     sends to the same destination.
//  4. Send through the integration's Sender. PostJSON and ErrorForStatus give HTTP senders the
//     common error classes: 429 and 5xx are retried by exporterhelper (after Retry-After, in
//     seconds or as an HTTP date), any other refusal is permanent: logged once with the API's
//     text, counted, and not retried. A retryable failure stops the batch; exporterhelper
//     retries it, and what was already delivered is skipped because the ledger has it.
//
// At shutdown (WrapMetrics/WrapLogs see it first) queued notifications get a 5 s grace at the
// rate limit; then waits end and the rest are given up, so a backlog cannot hold the stop.
//
// One push runs at a time, so notifications keep their order per fingerprint, and a resolve
// can never overtake its trigger.
//
// An integration is one file: a type with Send(ctx, Notification) error that formats and
// delivers one notification. The exporter's factory builds it, then New (or NewDisabled when
// the destination is not configured), and returns Notifier.NewMetricsExporter/NewLogsExporter
// (exporter.go): the exporterhelper exporter around the notifier, wrapped by WrapMetrics/WrapLogs.
// Exporters embed Config with `mapstructure:",squash"` for the shared keys.
// Secrets (webhook URLs, keys, passwords) go in Options.Secrets: they are cut out of any error
// before it is logged or returned, and PostJSON never prints a URL.
package notify
