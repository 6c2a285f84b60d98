# nuanxin — see README.md.
#   make run    the local stack: NATS, Postgres, every service, demo data
#   make test   every module's tests with -race, against real Postgres and NATS
#   make bench  benchmarks (figures recorded in docs/benchmarks.md)
#   make lint   gofmt, go vet, the console's types (vue-tsc), and the API and event documents' linters (npm; tools/speclint)
#   make ui     the console and the rider's pages (services/web/ui, Vue + Vite) built into services/web/dist/app

GO      ?= go
# Every module of the workspace, so a new service is picked up by being added to go.work.
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
PKGS    := $(addsuffix /...,$(MODULES))
NUANXIN := $(GO) run ./cmd/nuanxin

# The linters of docs/api and docs/events, pinned in tools/speclint/package-lock.json and
# installed there by npm ci on first use (and again when the lock file changes).
SPECLINT := tools/speclint

# The console: npm packages from the lock file, then vite build into
# services/web/dist/app, which the web service embeds. Rebuilt only when a
# source changed.
UI       := services/web/ui
UI_DIST  := services/web/dist/app/index.html
UI_SRC   := $(shell find $(UI)/src $(UI)/public $(UI)/index.html $(UI)/m $(UI)/vite.config.ts -type f 2>/dev/null)

.PHONY: run test bench lint ui

# make run runs the built CLI, not `go run`: go run exits 1 whenever it is interrupted, whatever
# its program returns, so every Ctrl-C ended in "make: *** [Makefile: run] Error 1" although
# the stack had stopped cleanly. DEV_FLAGS are passed to `nuanxin dev` (e.g. --pg-port 5434).
NUANXIN_BIN ?= .data/bin/nuanxin
DEV_FLAGS   ?=

run: ui
	$(GO) build -o $(NUANXIN_BIN) ./cmd/nuanxin
	$(NUANXIN_BIN) dev $(DEV_FLAGS)

# The UI's unit tests (Vitest), then every module's tests; cmd/nuanxin's
# TestConsole_journeys drives the built console in Chromium against the
# whole stack. -timeout: cmd/nuanxin's whole-stack tests and the journeys
# take 10–20 minutes on a busy machine, past go test's default of 10.
test: ui
	tools/browser/ensure-chromium
	cd $(UI) && node_modules/.bin/vitest run
	$(NUANXIN) stack -- $(GO) test -race -count=1 -timeout 40m $(PKGS)

bench:
	$(NUANXIN) stack --fast=false -- $(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

lint: $(SPECLINT)/node_modules/.package-lock.json $(UI)/node_modules/.package-lock.json
	@out="$$(gofmt -l $(MODULES))"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	cd $(UI) && node_modules/.bin/vue-tsc --noEmit -p tsconfig.json
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(SPECLINT)/node_modules/.bin/redocly lint \
		--config $(SPECLINT)/redocly.yaml --format=stylish docs/api/*.openapi.yaml docs/events/*.asyncapi.yaml
	node $(SPECLINT)/asyncapi.mjs docs/events/*.asyncapi.yaml

ui: $(UI_DIST)

$(UI_DIST): $(UI)/node_modules/.package-lock.json $(UI_SRC)
	cd $(UI) && node_modules/.bin/vite build --logLevel warn
	@touch $@

# --ignore-scripts, as for the linters below: nothing the UI uses needs one.
$(UI)/node_modules/.package-lock.json: $(UI)/package.json $(UI)/package-lock.json
	@command -v npm >/dev/null || { echo "the console needs Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	cd $(UI) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# --ignore-scripts: no linter needs an install script; the only one among their
# dependencies (@scarf/scarf) reports the install to its vendor, which must not run.
$(SPECLINT)/node_modules/.package-lock.json: $(SPECLINT)/package.json $(SPECLINT)/package-lock.json
	@command -v npm >/dev/null || { echo "make lint needs Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	cd $(SPECLINT) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@
