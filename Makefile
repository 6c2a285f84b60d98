# nuanxin — see README.md.
#   make run    the local stack: NATS, Postgres, every service, demo data
#   make test   every module's tests with -race, against real Postgres and NATS
#   make bench  benchmarks (figures recorded in docs/benchmarks.md)
#   make lint   gofmt and go vet

GO      ?= go
# Every module of the workspace, so a new service is picked up by being added to go.work.
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
PKGS    := $(addsuffix /...,$(MODULES))
NUANXIN := $(GO) run ./cmd/nuanxin

.PHONY: run test bench lint

run:
	$(NUANXIN) dev

test:
	$(NUANXIN) stack -- $(GO) test -race -count=1 $(PKGS)

bench:
	$(NUANXIN) stack --fast=false -- $(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

lint:
	@out="$$(gofmt -l $(MODULES))"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
