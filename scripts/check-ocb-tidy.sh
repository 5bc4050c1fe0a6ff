#!/usr/bin/env bash
# check-ocb-tidy.sh OCB_LOG: decides whether ocb's failed `go mod tidy` may be tolerated.
#
# At v0.165 ocb's tidy fails on test-only dependencies that the module proxy does not serve. Those
# two, and only those, are expected (the Makefile then tidies with -e). Any other module that
# cannot be fetched is a real problem, usually a component module missing at our release: name
# it and fail, rather than letting `go build` end in a misleading "updates to go.mod needed".
set -euo pipefail
log=${1:?usage: check-ocb-tidy.sh OCB_LOG}

# module@version pairs known to be unserved and needed only by other modules' tests.
tolerated=(
	go.opentelemetry.io/collector/scraper/scrapertest@v0.165.0
	github.com/open-telemetry/opentelemetry-collector-contrib/extension/encoding/otlpencodingextension@v0.165.1
)

if ! grep -q 'failed to update go.mod' "$log"; then
	cat "$log"
	exit 1
fi

# Go reports a module it cannot fetch as "<module>@<version>: reading ...", "...: unknown revision", etc.
mapfile -t missing < <(grep -oE '[A-Za-z0-9._~/-]+@v[0-9][A-Za-z0-9.+-]*: ' "$log" | sed 's/: $//' | sort -u)
if [ ${#missing[@]} -eq 0 ]; then
	echo "ocb: go mod tidy failed without naming an unserved module; its log:" >&2
	cat "$log" >&2
	exit 1
fi

unexpected=()
for m in "${missing[@]}"; do
	ok=false
	for t in "${tolerated[@]}"; do [ "$m" = "$t" ] && ok=true; done
	$ok || unexpected+=("$m")
done
if [ ${#unexpected[@]} -gt 0 ]; then
	echo "ocb: these modules cannot be fetched from the module proxy:" >&2
	printf '  %s\n' "${unexpected[@]}" >&2
	echo "Only ${tolerated[*]} are known to be unserved (test-only). Pin a served version in builder-config.yaml or drop the component." >&2
	exit 1
fi
echo "ocb: go mod tidy failed on the known unserved test-only modules (${missing[*]}); tidying with -e"
