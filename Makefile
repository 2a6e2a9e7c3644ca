# kiss-websocket: `make serve` runs the demo, `make test` runs every test.
SHELL := /bin/bash
GO ?= go
# Native tools must be built for the machine even when GOOS=js is set.
NATIVE := env -u GOOS -u GOARCH
WEB := web
WASM := $(WEB)/kiss-websocket.wasm
# The loader's files: the first a page loads, Go's executor (loaded with the
# wasm) and shared mode's (loaded when a page asks for it).
LOADER := kiss-websocket.js kiss-websocket-go.js kiss-websocket-shared.js
BIN := bin

.PHONY: all build serve test test-native test-sim test-browser lint typecheck check-importer deps clean bench chaos stress size dist dist-check FORCE

all: build

## build: the wasm, wasm_exec.js and precompressed variants of them and of
## the loader's files.
## Each output is replaced atomically and only when it changed, so a page
## (make bench) loading them while another make (make test) builds never
## reads a half-written file.
build: $(WASM) $(WEB)/wasm_exec.js
	@for f in $(WASM) $(WEB)/wasm_exec.js $(addprefix $(WEB)/,$(LOADER)); do \
		if [ ! $$f.gz -nt $$f ]; then gzip -9 -n -c $$f >$$f.gz.$$$$ && mv -f $$f.gz.$$$$ $$f.gz; fi; \
		if command -v brotli >/dev/null && [ ! $$f.br -nt $$f ]; then \
			brotli -f -n -q 11 -o $$f.br.$$$$ $$f && chmod 644 $$f.br.$$$$ && mv -f $$f.br.$$$$ $$f.br; fi; \
	done
	@ls -l $(WASM)* | awk '{print "  " $$5 "\t" $$9}'

# replace moves $(1).new over $(1) unless they are the same.
replace = if cmp -s $(1).new.$$$$ $(1); then rm -f $(1).new.$$$$; else mv -f $(1).new.$$$$ $(1); fi

$(WASM): FORCE
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@.new.$$$$ ./wasm && $(call replace,$@)

$(WEB)/wasm_exec.js: FORCE
	@cp "$$($(NATIVE) $(GO) env GOROOT)/lib/wasm/wasm_exec.js" $@.new.$$$$ && $(call replace,$@)

$(BIN)/kiss-websocket: FORCE
	$(NATIVE) $(GO) build -o $@ .

## serve: build, then run the dev server on http://127.0.0.1:8080/
serve: build $(BIN)/kiss-websocket
	./$(BIN)/kiss-websocket -addr 127.0.0.1:8080 -web $(WEB)

## test: every test, native (with shared mode's simulation) and in Chromium,
## the TypeScript declarations, what an importer of core gets, and the dist
## folder
test: lint typecheck check-importer test-native test-sim test-browser dist-check

# The demo page, life-cycle and nginx recipe tests drive Chromium against the
# built wasm: they run with the browser tests, not here (nor in make stress).
NATIVE_PKGS = $$($(NATIVE) $(GO) list ./... | grep -v -e /internal/demotest -e /internal/lifecycletest -e /internal/nginxtest)
test-native:
	$(NATIVE) $(GO) test -race -cover -timeout 10m $(NATIVE_PKGS)

## check-importer: a scratch module outside the repository that imports core
## gets coder/websocket and nothing of our test tools, and runs core's Example
check-importer:
	./scripts/check-importer.sh

## test-sim: shared mode's deterministic simulation (core/groupsim_test.go),
## GROUPSIM_N schedules from seed GROUPSIM_SEED, without the race detector
## (test-native runs a short one with it); a failure prints its replay.
GROUPSIM_N ?= 10000
GROUPSIM_SEED ?= 1
test-sim:
	$(NATIVE) $(GO) test -count=1 -v -run '^TestGroupSim$$' -timeout 30m ./core/ \
		-groupsim.n=$(GROUPSIM_N) -groupsim.seed=$(GROUPSIM_SEED)

test-browser: deps build $(BIN)/kiss-websocket
	./scripts/test-browser.sh

## bench: Go benchmarks of core, then Chromium through raw WebSocket,
## reconnecting-websocket and ours (bench/); prints the table, updates BENCHMARKS.md
bench: build $(BIN)/kiss-websocket $(BIN)/bench node_modules/.installed
	@./scripts/ensure-chromium.sh
	@mkdir -p out
	@$(MAKE) -s dist DIST=out/bench-dist >/dev/null
	set -o pipefail; $(NATIVE) $(GO) test -run '^$$' -bench . -benchmem -benchtime 300ms ./core | tee out/bench-go.txt
	./$(BIN)/bench -web out/bench-dist -update BENCHMARKS.md -gobench out/bench-go.txt

## dist: dist/kiss-websocket-VERSION/, exactly what a KissJS app copies into
## its static files (VERSION is the loader's kiss.websocket.version), the
## loader's files without their comment lines
VERSION = $(shell sed -n 's/^  var VERSION = "\(.*\)";$$/\1/p' $(WEB)/kiss-websocket.js)
# The loader's files go without their comment lines (internal/jsstrip): a
# page downloads the first before its first EVT_CONNECTED.
DIST_BIN := kiss-websocket.wasm wasm_exec.js
DIST_FILES := $(LOADER) $(DIST_BIN)
# the declarations, and their opt-in global for apps with no `kiss` of their own
DIST_TYPES := kiss-websocket.d.ts kiss-websocket-global.d.ts
DIST ?= dist/kiss-websocket-$(VERSION)
dist: build
	@test -n "$(VERSION)" || { echo "no VERSION in $(WEB)/kiss-websocket.js"; exit 1; }
	@command -v brotli >/dev/null || { echo "make dist needs brotli for the .br files (Debian: apt-get install brotli)"; exit 1; }
	rm -rf $(DIST).new && mkdir -p $(DIST).new
	for f in $(DIST_BIN); do cp $(WEB)/$$f $(WEB)/$$f.br $(WEB)/$$f.gz $(DIST).new/; done
	$(NATIVE) $(GO) build -o $(BIN)/jsstrip ./internal/jsstrip/cmd/jsstrip
	for f in $(LOADER); do \
		./$(BIN)/jsstrip $(WEB)/$$f $(DIST).new/$$f && \
		{ ! command -v node >/dev/null || node --check $(DIST).new/$$f; } && \
		gzip -9 -n -c $(DIST).new/$$f >$(DIST).new/$$f.gz && brotli -f -n -q 11 -o $(DIST).new/$$f.br $(DIST).new/$$f && chmod 644 $(DIST).new/$$f.br || exit 1; \
	done
	cp $(addprefix $(WEB)/,$(DIST_TYPES)) $(DIST).new/
	rm -rf $(DIST) && mv $(DIST).new $(DIST)
	@ls -l $(DIST) | awk 'NR > 1 {print "  " $$5 "\t" $$9}'

# dist-check: make dist leaves those files (each with its .br and .gz) and
# the declarations, and nothing else, each
# compressed variant the same bytes as its source.
dist-check:
	@$(MAKE) -s dist DIST=out/dist-check >/dev/null
	@want="$$(for f in $(DIST_FILES); do echo $$f; echo $$f.br; echo $$f.gz; done; for f in $(DIST_TYPES); do echo $$f; done)"; \
	got="$$(ls out/dist-check)"; \
	[ "$$(sort <<<"$$want")" = "$$(sort <<<"$$got")" ] || { echo "dist has:"; echo "$$got"; exit 1; }; \
	for f in $(DIST_FILES); do \
		cmp -s <(gzip -dc out/dist-check/$$f.gz) out/dist-check/$$f && cmp -s <(brotli -dc out/dist-check/$$f.br) out/dist-check/$$f \
			|| { echo "dist: $$f.gz or $$f.br is not $$f"; exit 1; }; \
	done; echo "dist-check: ok (kiss-websocket $(VERSION))"

## size: our wasm and its two floor programs (syscall/js only, safejs only),
## raw/gzip/brotli, and code bytes by package; updates BENCHMARKS.md
size:
	$(NATIVE) $(GO) run ./bench/size -update BENCHMARKS.md

$(BIN)/bench: FORCE
	$(NATIVE) $(GO) build -o $@ ./bench

# One npm ci for every dev dependency (reconnecting-websocket for bench,
# typescript for typecheck); npm ci wipes node_modules, so the stamp comes after.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make bench and make test need npm (Debian: apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## typecheck: web/kiss-websocket.d.ts against a page's use of it (web/types-test),
## with the opt-in global and as a KissJS app that declares `kiss` itself
typecheck: node_modules/.installed
	./node_modules/.bin/tsc -p web/types-test
	./node_modules/.bin/tsc -p web/types-test/tsconfig.kissjs.json

## chaos: long seeded fault runs, natively (CHAOS_STEPS faults), in
## Chromium (CHAOS_BROWSER_STEPS faults), in shared mode across tabs
## (CHAOS_SHARED_STEPS tab and server faults), and shared mode's simulation
## (CHAOS_GROUPSIM_N schedules from CHAOS_SEED on); each prints its table.
## Replay a failure with the seed it printed: make chaos CHAOS_SEED=...
CHAOS_STEPS ?= 400
CHAOS_BROWSER_STEPS ?= 220
CHAOS_SHARED_STEPS ?= 120
CHAOS_GROUPSIM_N ?= 100000
CHAOS_SEED ?= $(shell date +%s)
chaos: deps build $(BIN)/kiss-websocket
	$(MAKE) -s test-sim GROUPSIM_N=$(CHAOS_GROUPSIM_N) GROUPSIM_SEED=$(CHAOS_SEED)
	$(NATIVE) $(GO) test -race -count=1 -run '^TestChaos$$' -v -timeout 20m ./core/ \
		-chaos.steps=$(CHAOS_STEPS) -chaos.seed=$(CHAOS_SEED)
	KISS_CHAOS_STEPS=$(CHAOS_BROWSER_STEPS) KISS_CHAOS_SEED=$(CHAOS_SEED) ./scripts/test-browser.sh -run '^TestChaos$$' -v
	KISS_SHARED_CHAOS_STEPS=$(CHAOS_SHARED_STEPS) KISS_SHARED_CHAOS_SEED=$(CHAOS_SEED) \
		$(NATIVE) $(GO) test -count=1 -run '^TestSharedChaos$$' -v -timeout 20m ./internal/lifecycletest/

## stress: the native suite (test-native's packages) -race -count=STRESS_COUNT
## -cpu 1,2,4, then each timing-sensitive test of scripts/stress-timing.txt
## STRESS_TIMING_COUNT times (about 10 minutes in all on 2 cores); prints runs
## and failures per test and fails on any failure (details in out/stress/)
STRESS_COUNT ?= 4
STRESS_TIMING_COUNT ?= 200
stress:
	STRESS_PKGS="$(NATIVE_PKGS)" STRESS_COUNT=$(STRESS_COUNT) STRESS_TIMING_COUNT=$(STRESS_TIMING_COUNT) GO=$(GO) ./scripts/stress.sh

## deps: what the browser tests need (Chromium, wasmbrowsertest)
deps: $(BIN)/wasmbrowsertest
	@./scripts/ensure-chromium.sh

# Pinned in its own module (tools/), so it is no requirement of the module
# that programs importing core see.
$(BIN)/wasmbrowsertest: tools/go.mod
	$(NATIVE) $(GO) -C tools build -o $(CURDIR)/$@ github.com/agnivade/wasmbrowsertest

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(NATIVE) $(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./...

clean:
	rm -rf dist $(BIN) $(WASM) $(WASM).gz $(WASM).br $(WEB)/wasm_exec.js* $(foreach f,$(LOADER),$(WEB)/$(f).gz $(WEB)/$(f).br)
