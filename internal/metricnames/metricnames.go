// Package metricnames holds the names of the metrics the components hand each other (the
// contract in docs/architecture.md): the multiagents receiver writes them, worker_health and
// the alert processor read them, and alert rules and dashboards name them. One table, so a
// rename cannot reach one side only.
package metricnames

// Written by the multiagents receiver.
const (
	Events           = "multiagents.events"
	EventDuration    = "multiagents.event.duration"
	WorkerExecutions = "multiagents.worker.executions"
	WorkerDuration   = "multiagents.worker.duration"
	Workflows        = "multiagents.workflows"
	WorkflowDuration = "multiagents.workflow.duration"
	ActiveWorkflows  = "multiagents.active_workflows"
	SystemCPU        = "multiagents.system.cpu"
	SystemMemory     = "multiagents.system.memory"

	WorkerCommandsPending          = "multiagents.worker.commands.pending"
	WorkerCommandsOldestPendingAge = "multiagents.worker.commands.oldest_pending_age"
	WorkerCommandsOverdue          = "multiagents.worker.commands.overdue"

	WorkflowOpen    = "multiagents.workflow.open"
	WorkflowIdleAge = "multiagents.workflow.idle_age"
	WorkflowStuck   = "multiagents.workflow.stuck"

	BusConnected         = "multiagents.bus.connected"
	BusDisconnectedSince = "multiagents.bus.disconnected_since"

	GenAITokens = "multiagents.gen_ai.tokens"
)

// Written by the worker_health processor.
const (
	WorkerHealth      = "multiagents.worker.health"
	WorkerSuccessRate = "multiagents.worker.success_rate"
	WorkerErrorRate   = "multiagents.worker.error_rate"
	WorkerDurationAvg = "multiagents.worker.duration.avg"
	WorkerDurationP95 = "multiagents.worker.duration.p95"
	WorkerLastSeen    = "multiagents.worker.last_seen"
	WorkerIssue       = "multiagents.worker.issue"
)

// Written by the alert processor; its contract (attributes, states) is package alertstate.
const Alerts = "multiagents.alerts"

// Written by the hostmetrics receiver (OpenTelemetry system semantic conventions), read by
// the shipped alert rules.
const (
	HostCPUUtilization    = "system.cpu.utilization"
	HostMemoryUtilization = "system.memory.utilization"
)
