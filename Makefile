# otelcol-multiagents: build, run and test the collector distribution.
#   make run    build if needed, then start the collector with otelcol-config.yaml
#   make test   everything CI runs: vet, unit + integration tests (-race), build, smoke test of the binary

SHELL       := /bin/bash
GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
OCB_VERSION := v0.165.0
OCB         := $(GOBIN)/builder
DIST_DIR    := build/otelcol-multiagents
BINARY      := bin/otelcol-multiagents
STATICCHECK_VERSION := v0.8.2

# Extra flags for `make run`, e.g. RUN_ARGS="--config config/production.yaml".
RUN_ARGS ?=

.PHONY: all build run demo test vet unit smoke lint bench loadtest clean

all: build

# The pinned ocb, installed once into GOPATH/bin.
$(OCB):
	$(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

# Generate the distribution's sources only when the manifest or our module's requirements change.
# ocb writes main.go, components.go and go.mod, then runs `go mod tidy`, which fails at this release:
# test-only dependencies of host_metrics (scraper/scrapertest@v0.165.0) and of the file exporter
# (otlpencodingextension@v0.165.1) are not served by the module proxy. scripts/check-ocb-tidy.sh
# tolerates exactly those two; `go mod tidy -e` then tidies the generated module, skipping them, and
# `go build` compiles it. Any other unserved module (say, a component missing at our release) stops
# the build with the module's name; any other ocb failure stops it with ocb's log.
$(DIST_DIR)/components.go: builder-config.yaml go.mod scripts/check-ocb-tidy.sh | $(OCB)
	@mkdir -p $(DIST_DIR)
	@if ! $(OCB) --config builder-config.yaml --skip-compilation > $(DIST_DIR)/ocb.log 2>&1; then \
		[ -f $(DIST_DIR)/go.mod ] || { cat $(DIST_DIR)/ocb.log; exit 1; }; \
		bash scripts/check-ocb-tidy.sh $(DIST_DIR)/ocb.log || exit 1; \
	fi
	cd $(DIST_DIR) && $(GO) mod tidy -e 2> tidy.log || { cat tidy.log; exit 1; }
	@touch $@

# Compiling always runs: Go's build cache makes it fast when nothing changed.
build: $(DIST_DIR)/components.go
	cd $(DIST_DIR) && $(GO) build -trimpath -ldflags="-s -w" -o $(CURDIR)/$(BINARY) .
	@echo "built $(BINARY)"

run: build
	./$(BINARY) --config otelcol-config.yaml $(RUN_ARGS)

# A newcomer's tour (~2 min, needs redis-server): private Redis, a local Slack/PagerDuty sink, the
# collector with config/demo.yaml, and agentsim breaking then repairing a worker.
demo: build
	bash scripts/demo.sh

test: vet unit build smoke

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...
	$(GO) vet -tags loadtest ./test/... ./receiver/...

# Unit and integration tests; integration tests start their own redis-server on loopback.
unit:
	$(GO) test -race -count=1 ./...

# The built binary: validate every config, start, scrape, health, SIGTERM.
smoke: build
	OTELCOL_BIN=$(CURDIR)/$(BINARY) $(GO) test -tags e2e -count=1 ./test/...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Micro-benchmarks and load runs of the built binary beside their baselines; writes BENCHMARKS.md
# (about an hour on 2 cores; BENCH_STEPS=fig1,fig8 runs some figures again; BENCH_QUICK=1 for a short try whose figures are not for quoting).
bench: build
	OTELCOL_BIN=$(CURDIR)/$(BINARY) GO=$(GO) ./scripts/bench.sh

# The load runs alone, with their logs (minutes; LOADTEST_HOLD / LOAD_SECONDS shorten them).
loadtest: build
	OTELCOL_BIN=$(CURDIR)/$(BINARY) $(GO) test -tags loadtest -count=1 -v -timeout 60m -run '^TestLoadZeroLossRate$$' ./receiver/multiagentsreceiver/
	OTELCOL_BIN=$(CURDIR)/$(BINARY) $(GO) test -tags loadtest -count=1 -v -timeout 60m ./test/load/

clean:
	rm -rf build bin
