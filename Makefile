# Run `make help` for the list of targets.
.DEFAULT_GOAL := help
SHELL := bash
# Use at least the toolchain go.mod's go line names (go1.27.3: the stdlib
# security fixes), even where the machine's go env says GOTOOLCHAIN=local. The
# go command downloads it from the module proxy on first use; where it cannot,
# the build stops and says so. Outside make, GOTOOLCHAIN=local with an older Go
# stops too ("go.mod requires go >= 1.27.3"), rather than build without them.
export GOTOOLCHAIN := auto

# Build tags of every build and test, the e2e tests' builds of bin/api
# included (GOFLAGS reaches every go command). validator_novalidatefn drops
# go-playground/validator's validateFn rule, which calls
# reflect.Value.MethodByName with a name known only at run time and so makes
# the linker keep every exported method of every type: without the tag
# bin/api is 47 MB instead of 33 MB, and the idle service maps 2.3 MiB more
# of it. No struct here uses validateFn; with the tag one would panic.
export GOFLAGS := -tags=validator_novalidatefn

## help: list the targets
.PHONY: help
help:
	@sed -n 's/^## \([a-z0-9-]*\): /  \1\t/p' $(MAKEFILE_LIST) | expand -t 12

## run: build, then start the service on http://localhost:8080 with embedded defaults
.PHONY: run
# The binary, not go run: go run exits 1 after Ctrl-C even when the service
# stopped cleanly (so make said "Error 1"), and records no version.
run: build
	LOG_FORMAT=$${LOG_FORMAT:-text} bin/api

## test: vet, then every test with the race detector, in the service module and then in e2e/ (needs Redis at 127.0.0.1:6379 for the Redis tests)
.PHONY: test
# gotestsum prints each package as it finishes, then the skipped and failed
# tests with their output (a skip's reason), then DONE with the counts; it
# exits non-zero when a test fails. Both modules' go test -json go through
# one gotestsum, for one summary. The e2e tests build the service
# themselves, with -race like the tests. TEST_FORMAT=standard-verbose shows
# every test.
TEST_FORMAT ?= pkgname
test:
	@echo "make test: vet, then the tests of both modules with -race; a first run compiles everything with -race, several minutes"
	go vet ./...
	go -C e2e vet ./...
	go tool -modfile=tools/go.mod gotestsum --format $(TEST_FORMAT) --format-hide-empty-pkg --raw-command -- \
	  bash -c 'go test -json -race -count=1 ./...; s=$$?; go -C e2e test -json -race -count=1 ./... || s=1; exit $$s'

## lint: gofmt, golangci-lint (both modules) and govulncheck, pinned in tools/go.mod
.PHONY: lint
lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	go tool -modfile=tools/go.mod golangci-lint run ./...
	go -C e2e tool -modfile=../tools/go.mod golangci-lint run ./...
	./scripts/vulncheck.sh

## bench: Go benchmarks (file transfers with 1 GiB files, uploads to disk beside uploads to S3 on versitygw, chat with 1,000 clients), then load runs against the running server
.PHONY: bench
# The chat benchmarks connect up to 1,000 clients before each run, so they run a
# fixed count of broadcasts rather than for a time.
bench:
	BENCH_FILE_MIB=$${BENCH_FILE_MIB:-1024} go test -run '^$$' -bench . -benchmem $$(go list ./... | grep -v '/internal/ws$$')
	go test -run '^$$' -bench . -benchtime=1000x ./internal/ws
	./scripts/bench-http.sh

## mutate: mutation testing with gremlins over each package (MUTATE_PKGS=internal/settings for some), a table of efficacy and coverage
.PHONY: mutate
# On demand, not in CI: well over half an hour over the whole service on
# two cores (README, "How we test").
mutate:
	./scripts/mutate.sh $(MUTATE_PKGS)

## soak: build, then run the service under mixed load and faults and check that nothing is lost (SOAK_DURATION per scenario, default 60s)
.PHONY: soak
soak: build
	go -C e2e run ./cmd/soak -api ../bin/api -duration $${SOAK_DURATION:-60s}

## build: build bin/api
.PHONY: build
build:
	CGO_ENABLED=0 go build -trimpath -o bin/api ./cmd/api

## docker: build the container image echotemplate:dev (needs a Docker engine)
.PHONY: docker
docker:
	docker build --build-arg VERSION=$$(git describe --always --dirty 2>/dev/null || echo dev) -t echotemplate:dev .

## remove-feature: delete one optional feature from this tree, e.g. make remove-feature FEATURE=websockets (or files, tasks)
.PHONY: remove-feature
remove-feature:
	./scripts/remove-feature.sh $(FEATURE)

## echo-v5: copy the service to build/echo-v5 moved to Echo v5, then build, vet and test it there
.PHONY: echo-v5
echo-v5:
	./scripts/echo-v5.sh

## rename: rename the module for your service, e.g. make rename MODULE=github.com/you/orders
.PHONY: rename
rename:
	./scripts/rename.sh $(MODULE)
