#!/usr/bin/env bash
# make demo: the whole distribution on one machine, in one terminal.
#
# Starts a private redis-server, a local Slack/PagerDuty sink (cmd/notifysink), the collector
# (bin/otelcol-multiagents with otelcol-config.yaml + config/demo.yaml) and agentsim, which runs
# e-commerce workflows and breaks two workers together for a while, then repairs them. The
# terminal shows the traffic and every notification the sink receives: one grouped worker_failure
# naming both workers, then its resolve; ship_order, idle downstream of the failures, is not paged.
# Everything stops after the scenario or on Ctrl-C; logs are kept in a temporary directory.
#
# Settings (environment):
#   DEMO_WORKER      the workers that break (comma-separated)  [check_inventory,process_payment]
#   DEMO_FAIL_RATE   their failure rate while broken   [0.8]
#   DEMO_BREAK_AT    when it breaks                    [20s]
#   DEMO_REPAIR_AT   when it is repaired               [55s]
#   DEMO_DURATION    length of the traffic             [100s]
#   DEMO_RATE        workflows started per second      [10]
#   OTELCOL_BIN      the collector binary              [bin/otelcol-multiagents]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN=${OTELCOL_BIN:-$ROOT/bin/otelcol-multiagents}
WORKER=${DEMO_WORKER:-check_inventory,process_payment}
FAIL_RATE=${DEMO_FAIL_RATE:-0.8}
BREAK_AT=${DEMO_BREAK_AT:-20s}
REPAIR_AT=${DEMO_REPAIR_AT:-55s}
DURATION=${DEMO_DURATION:-100s}
RATE=${DEMO_RATE:-10}
# A dummy Events API v2 routing key: 32 characters, as PagerDuty requires.
ROUTING_KEY=demodemodemodemodemodemodemodemo

if [[ -t 1 ]]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
say() { printf '%sdemo:%s %s\n' "$BOLD" "$PLAIN" "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

if ! command -v redis-server >/dev/null 2>&1; then
	die "redis-server is not installed. Install it, then run make demo again:
  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y redis-server
  Fedora:        sudo dnf install -y redis
  macOS:         brew install redis"
fi
command -v curl >/dev/null 2>&1 || die "curl is needed to wait for the collector: apt-get install -y curl"
command -v go >/dev/null 2>&1 || die "go is needed to build agentsim and notifysink"
[[ -x $BIN ]] || die "$BIN not found: run make build first (make demo does)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/otelcol-demo.XXXXXX")
PIDS=()
NAMES=()

cleanup() {
	local code=$?
	trap - EXIT INT TERM
	# Newest first: agentsim, collector (flushes and sends what is queued), sink, Redis.
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		local pid=${PIDS[i]}
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			# Up to 15 s each for a clean stop, then kill.
			local n
			for ((n = 0; n < 150; n++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			if kill -0 "$pid" 2>/dev/null; then
				say "${NAMES[i]} did not stop; killing it"
				kill -KILL "$pid" 2>/dev/null || true
			fi
			wait "$pid" 2>/dev/null || true
		fi
	done
	say "stopped everything. Logs are kept in $WORK (collector.log, notifications.log, redis.log)"
	exit "$code"
}
trap cleanup EXIT
trap 'echo; say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

started() { PIDS+=("$1"); NAMES+=("$2"); }

# port_free reports whether nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

TAKEN=" "
# pick_port prints $1 when it is free, otherwise a free port picked at random.
pick_port() {
	local p=$1 i
	for ((i = 0; i < 200; i++)); do
		if [[ $TAKEN != *" $p "* ]] && port_free "$p"; then
			TAKEN+="$p "
			echo "$p"
			return
		fi
		p=$((20000 + RANDOM % 40000))
	done
	die "no free port found"
}

# redis_cmd sends one inline command to the demo's Redis and prints the first reply line.
redis_cmd() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" || exit 1
		printf '%s\r\n' "$1" >&3
		IFS= read -r -t 2 line <&3 || exit 1
		printf '%s' "${line%$'\r'}"
	) 2>/dev/null
}

# wait_for runs "$2..." until it succeeds, for at most $1 seconds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}

REDIS_PORT=$(pick_port 6379)
SINK_PORT=$(pick_port 8099)
PROM_PORT=$(pick_port 9090)
ZPAGES_PORT=$(pick_port 55679)
HEALTH_PORT=$(pick_port 13133)
PPROF_PORT=$(pick_port 1777)
OTLP_GRPC_PORT=$(pick_port 4317)
OTLP_HTTP_PORT=$(pick_port 4318)
TELEMETRY_PORT=$(pick_port 8888)

say "working directory $WORK"
say "building agentsim and notifysink"
mkdir -p "$WORK/bin" "$WORK/storage"
go build -o "$WORK/bin/agentsim" ./cmd/agentsim
go build -o "$WORK/bin/notifysink" ./cmd/notifysink

say "starting redis-server on 127.0.0.1:$REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$WORK" --logfile "$WORK/redis.log" --loglevel notice &
started $! redis-server
wait_for 10 eval '[[ $(redis_cmd PING) == +PONG ]]' || die "redis-server did not answer PING; see $WORK/redis.log"

say "starting the notification sink on 127.0.0.1:$SINK_PORT (Slack webhook and PagerDuty Events API v2)"
"$WORK/bin/notifysink" --listen "127.0.0.1:$SINK_PORT" > >(tee -i "$WORK/notifications.log") 2>&1 &
started $! notifysink
wait_for 10 curl -fs -o /dev/null "http://127.0.0.1:$SINK_PORT/" || die "notifysink did not start"

say "starting the collector; its logs go to $WORK/collector.log"
REDIS_ENDPOINT=127.0.0.1:$REDIS_PORT \
	SLACK_WEBHOOK_URL=http://127.0.0.1:$SINK_PORT/services/demo \
	PAGERDUTY_ROUTING_KEY=$ROUTING_KEY \
	PROMETHEUS_ENDPOINT=localhost:$PROM_PORT \
	OTELCOL_TELEMETRY_PORT=$TELEMETRY_PORT \
	OTELCOL_STORAGE_DIR=$WORK/storage \
	DEMO_TRACES_FILE=$WORK/traces.jsonl \
	"$BIN" --config otelcol-config.yaml --config config/demo.yaml \
	"--set=exporters::pagerduty::endpoint=http://127.0.0.1:$SINK_PORT/v2/enqueue" \
	"--set=extensions::health_check::endpoint=localhost:$HEALTH_PORT" \
	"--set=extensions::zpages::endpoint=localhost:$ZPAGES_PORT" \
	"--set=extensions::pprof::endpoint=localhost:$PPROF_PORT" \
	"--set=receivers::otlp::protocols::grpc::endpoint=localhost:$OTLP_GRPC_PORT" \
	"--set=receivers::otlp::protocols::http::endpoint=localhost:$OTLP_HTTP_PORT" \
	>"$WORK/collector.log" 2>&1 &
started $! collector
COLLECTOR_PID=$!
collector_up() {
	kill -0 "$COLLECTOR_PID" 2>/dev/null || { tail -n 20 "$WORK/collector.log" >&2; die "the collector exited; see $WORK/collector.log"; }
	curl -fs -o /dev/null "http://localhost:$HEALTH_PORT/"
}
wait_for 60 collector_up || die "the collector did not become healthy within 60 s; see $WORK/collector.log"
# The receiver subscribes in the background: wait until Redis reports its pattern subscription.
wait_for 20 eval '[[ $(redis_cmd "PUBSUB NUMPAT") != ":0" ]]' || die "the collector never subscribed to Redis; see $WORK/collector.log"

cat <<EOF

  Where to look while it runs:
    Prometheus metrics   curl -s localhost:$PROM_PORT/metrics | grep -E 'multiagents_(alerts|worker_health)'
    zPages               http://localhost:$ZPAGES_PORT/debug/pipelinez  (and /debug/servicez)
    health               http://localhost:$HEALTH_PORT/
    collector's own      http://localhost:$TELEMETRY_PORT/metrics
    traces (file)        $WORK/traces.jsonl
    collector log        $WORK/collector.log

  Scenario: $RATE workflows/s for $DURATION; $WORKER fail ${FAIL_RATE} of their steps from $BREAK_AT to $REPAIR_AT.
  Expect worker_failure soon after $BREAK_AT as one group (the notifiers group alerts by alertname):
  one PagerDuty incident, and a Slack message when the group fires and then one per change (a
  worker joining or recovering; at most one per group_interval, 10 s here), each listing the
  group's workers; resolved about 10 s (the recent window) after $REPAIR_AT. The intervals are
  the shipped ones: the page follows the failure within seconds. error_spike and high_error_rate wait 3 minutes (for: 3m), so
  worker_failure mutes them (inhibit_rules); ship_order, which only gets fewer commands while they
  fail, stays healthy. Lines starting with a clock time are what Slack and PagerDuty received.
  Ctrl-C stops everything.

EOF

# --phase takes worker=rate pairs, comma-separated: one pair per broken worker.
break_rates=() repair_rates=()
IFS=, read -ra broken <<<"$WORKER"
for w in "${broken[@]}"; do
	break_rates+=("$w=$FAIL_RATE")
	repair_rates+=("$w=0")
done
set +e
AGENTSIM_START=$(date +%s)
"$WORK/bin/agentsim" --redis "127.0.0.1:$REDIS_PORT" --rate "$RATE" --duration "$DURATION" \
	--phase "$BREAK_AT:$(IFS=,; echo "${break_rates[*]}")" --phase "$REPAIR_AT:$(IFS=,; echo "${repair_rates[*]}")" --progress 5s &
AGENTSIM_PID=$!
started $AGENTSIM_PID agentsim
wait $AGENTSIM_PID
AGENTSIM_CODE=$?
set -e
((AGENTSIM_CODE == 0)) || die "agentsim ended with exit code $AGENTSIM_CODE"

# On a slow machine the resolve may still be on its way: give it up to 30 s more.
resolved_seen() { grep -q '\[slack\] RESOLVED worker_failure' "$WORK/notifications.log"; }
if ! resolved_seen; then
	say "waiting up to 30 s for worker_failure to resolve"
	wait_for 30 resolved_seen || true
fi
sleep 2
echo
say "alert instances on /metrics now (multiagents_alerts: name, state, severity, worker, observed value):"
curl -fs "http://localhost:$PROM_PORT/metrics" | grep '^multiagents_alerts{' |
	sed -E 's/.*alertname="([^"]*)".*alertstate="([^"]*)".*severity="([^"]*)"(.*worker_name="([^"]*)")?.*\} (.*)/    \1 \2 (\3) \5 \6/' || true
firing=$(grep -c '\[slack\] FIRING worker_failure' "$WORK/notifications.log" || true)
resolved=$(grep -c '\[slack\] RESOLVED worker_failure' "$WORK/notifications.log" || true)
incidents=$(grep -o '\[pagerduty\] trigger dedup=[^ ]*' "$WORK/notifications.log" | sort -u | wc -l)
say "Slack received worker_failure firing ${firing}x and resolved ${resolved}x; PagerDuty: $(grep -c '\[pagerduty\] trigger' "$WORK/notifications.log" || true) trigger(s) for ${incidents} incident(s), $(grep -c '\[pagerduty\] resolve' "$WORK/notifications.log" || true) resolve(s)"
# How long after the failure phase began the first page arrived (the sink logs clock seconds).
seconds_of() { # a Go duration of whole seconds or minutes ("20s", "1m") as seconds
	case $1 in *m) echo $((${1%m} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac
}
first_page=$(grep -m1 '\[pagerduty\] trigger' "$WORK/notifications.log" | cut -d' ' -f1 || true)
if [[ -n $first_page ]] && break_s=$(seconds_of "$BREAK_AT") && [[ $break_s =~ ^[0-9]+$ ]]; then
	say "first PagerDuty trigger at $first_page: $(($(date -d "$first_page" +%s) - AGENTSIM_START - break_s)) s after the workers began failing (condition: half of the 10 s window failed, then max_delay + group_wait)"
fi
if ((firing > 0 && resolved > 0)); then
	say "the alert fired and resolved as one group: every Slack message lists the group's workers, and PagerDuty kept one incident (one dedup key) for all of them."
else
	say "worker_failure did not both fire and resolve; see $WORK/collector.log"
	exit 1
fi
