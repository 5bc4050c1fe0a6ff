// Package notify is what the notifier exporters (slack, pagerduty, email) share, modelled on
// Alertmanager: aggregation groups (dispatch/dispatch.go) and the dedup stage
// (notify/notify.go), one core, one small Sender per integration.
//
// The flow, in order:
//
//  0. Filter (filter.go): Notifier.WrapMetrics and WrapLogs wrap the exporter so that only
//     multiagents.alerts (or log records at or above min_severity) enter exporterhelper's
//     sending_queue; a notifier at the end of the one metrics pipeline sees every metric.
//  1. Read alerts: AlertsFromMetrics takes the multiagents.alerts gauge the alert processor
//     writes (attributes alertname, alertstate, severity, fingerprint, description, threshold,
//     cooldown, plus the rule's group and static labels; the value is the observed value).
//     Attributes annotations.<name> are the rule's annotations (Alert.Annotations, not labels),
//     rendered at send time by RenderAnnotation ({{ label }}, {{ $value }}); the point's
//     exemplars are the trace ids of the newest failing transactions (Alert.TraceIDs, newest
//     first), which senders show as links through a trace_url_template (render.go), at most
//     MaxTraceLinks per notification.
//     AlertsFromLogs takes log records at or above min_severity as firing alerts. Invalid
//     points are skipped, counted and logged once; their neighbours go on.
//  2. Group (groups.go), on ingest: each alert instance joins the group of its group_by label
//     values (alertname is a label; "..." takes every label; an empty list makes one group)
//     and stays in that group until it is forgotten, even if group_by changes. Ingesting
//     never waits for a destination, so the pipeline is never held by a slow webhook.
//  3. Dispatch (notifier.go): one goroutine per notifier sleeps until the next group is due
//     (or new data arrives) and sends the due groups one at a time, oldest first. A new group
//     is due group_wait after its first alert: one notification lists all its firing alerts.
//     News (an unmuted firing alert not told yet, including one that left inhibition, or a
//     told alert that resolved) is due group_interval after the group's last notification, and
//     at least group_wait after the first piece of news, so a burst is one message. With no
//     news, a group with firing alerts repeats after its repeat interval: the shortest of its
//     firing alerts' cooldown attributes (repeat_interval for an alert with none), so the most
//     urgent alert sets the pace. A group whose alerts have all resolved sends one resolved
//     notification (only if a firing one was delivered) and is forgotten; that resolve waits
//     group_wait after the last alert resolved but not group_interval (unlike Alertmanager):
//     the end of an incident is the news on-call waits for, and flapping is for the rules
//     (for, keep_firing_for, worker_health's recovery rate) to hold, not the notifier. A repeat re-tells only
//     what the data still says: it counts the firing alerts observed since the last
//     notification (the alert processor rewrites a firing alert every evaluation; a log-record
//     alert is one record and is not repeated for ever after it).
//  4. Muted states: an alert written with alertstate "inhibited" (the alert processor's
//     inhibition rules) or "silenced" (an active silence of the silences extension matches it)
//     is firing but muted (State.Muted). It never makes news and never makes the group repeat; one already told
//     stays open and is listed as muted (no resolve because it is muted); its resolve is sent as
//     usual; back to firing it is no news (it was told), so normal repeat rules apply. Pending
//     never notifies.
//  5. Wait for the destination's token bucket (rate_limit), shared by every notifier that
//     sends to the same destination, then Send the group's Notification.
//  6. The answer: delivered, the group's alerts are told (a PagerDuty incident is open);
//     permanent (consumererror.NewPermanent: HTTP 4xx, SMTP 5xx) is logged once, counted and
//     not retried, and the group waits as after a delivery but opens nothing (its resolve is
//     not sent); anything else is retried by the dispatcher: retry_on_failure's backoff
//     (initial_interval × multiplier, capped at max_interval), and never sooner than a
//     destination's Retry-After (ThrottleError, from ErrorForStatus), which also holds the
//     shared rate limiter for every notifier sending there. A group is never given up for
//     failures (dropping a page is worse than sending it late; max_elapsed_time is not used):
//     the first failure of a streak is a warning, the rest debug, each counted. Other groups
//     go on meanwhile. A resolve that arrives while its firing is being sent waits for the
//     outcome: told, it is news; not told, there is nothing to resolve.
//
// What exporterhelper still does: its sending_queue buffers alert data between the pipeline
// and ingest (persistent with sending_queue::storage, so data not yet ingested survives a
// crash); its retry_on_failure never acts, since ingesting does not fail; its num_consumers
// must stay 1 so observations of an instance are ingested in order.
//
// State: the groups (each alert's last observation and whether it was told, each group's
// timers and whether it is open) are bounded by max_groups and max_tracked_alerts: past either
// the group active longest ago is forgotten, its alerts counted in otelcol_notify_evicted. With
// a storage extension they are saved after every change of state (not on a repeated
// observation), so a restart neither re-pages nor loses a resolve, and a group that fell due
// while the collector was down is sent right after the start. The bookkeeping of earlier
// releases (version 1, per alert) is not read: the first start after the upgrade starts empty.
//
// At shutdown (WrapMetrics/WrapLogs see it first) the dispatcher makes one last pass within a
// 5 s grace (ShutdownGrace): due groups go out; without storage, every group with news goes
// out too, not waiting for group_wait or group_interval, since it would otherwise be lost; with
// storage, it is kept for the next start. Then rate-limit waits and sends in flight end, and
// what is left is logged ("left unsent at shutdown") and counted.
//
// Telemetry: every counter point carries exporter (the component id, as the collector's own
// otelcol_exporter_* metrics) and signal (metrics or logs), so the three notifiers, and the two
// exporters of one component, never write the same series (which made the collector's own
// /metrics answer HTTP 500).
//
// An integration is one file: a type with Send(ctx, Notification) error that formats and
// delivers one group notification (GroupKey, GroupID, GroupLabels, Status, Firing, Resolved,
// Muted, Severity, Repeat). The exporter's factory builds it, then New (or NewDisabled when the
// destination is not configured), and returns Notifier.NewMetricsExporter/NewLogsExporter
// (exporter.go): the exporterhelper exporter around the notifier, wrapped by WrapMetrics/WrapLogs.
// Exporters embed Config with `mapstructure:",squash"` for the shared keys.
// Secrets (webhook URLs, keys, passwords) go in Options.Secrets: they are cut out of any error
// before it is logged, and PostJSON never prints a URL.
package notify
