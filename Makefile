# podscale build entry points. `make test` is what CI runs (.ci/run).
# Everything a fresh machine lacks is installed by `make setup`; heavy caches
# (build output, tools) live outside the repo so fresh clones reuse them.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# `test` lists its steps as prerequisites: keep them in order even under -j.
.NOTPARALLEL:
.DEFAULT_GOAL := help

CACHE ?= $(HOME)/.cache/podscale
# Shared by every clone (CI runs in a fresh clone each time).
export CARGO_TARGET_DIR ?= $(CACHE)/target

# Pinned: 0.13.2 builds with --locked on stable 1.95 here. Keyed by version so
# bumping it installs next to the old one instead of reusing it.
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ_ROOT := $(CACHE)/tools/cargo-fuzz-$(CARGO_FUZZ_VERSION)
CARGO_FUZZ := $(CARGO_FUZZ_ROOT)/bin/cargo-fuzz
# cargo-fuzz needs nightly (-Zsanitizer); it gets its own target dir so its
# instrumented builds never invalidate the stable ones.
NIGHTLY ?= nightly
FUZZ_TARGET_DIR ?= $(CACHE)/fuzz-target
FUZZ_SECONDS ?= 30
# Same as `cargo +nightly fuzz`, but runs the pinned binary, not whatever
# cargo-fuzz happens to be on PATH or in ~/.cargo/bin.
FUZZ := RUSTUP_TOOLCHAIN=$(NIGHTLY) CARGO_TARGET_DIR=$(FUZZ_TARGET_DIR) $(CARGO_FUZZ) fuzz

NOSTD_TARGETS := thumbv7em-none-eabihf wasm32-unknown-unknown

# The Go harness that runs upstream's own code (tests/upstream). Go keeps its module and build
# caches outside the repo (GOMODCACHE, GOCACHE); the binary goes beside our other caches.
# -checklinkname=0: the harness reaches a few unexported upstream functions by go:linkname.
# -buildvcs=false: a clone may not be a git work tree Go can stamp (CI copies, tarballs).
UPSTREAM_HARNESS := $(CACHE)/upstream/upstream-harness
GO_BUILD_FLAGS := -ldflags=-checklinkname=0 -buildvcs=false
# Cases per family for the differential run; `make difftest N=1000000` for a long one.
N ?= 3000
SEED ?= 0

.PHONY: help setup toolchains lint nostd unit static conformance fuzz test bench demo harness difftest bench-compare controlplane controlplane-test bench-controller python bench-python node

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'
	@echo "  vars: CACHE=$(CACHE) FUZZ_SECONDS=$(FUZZ_SECONDS)"

setup: toolchains $(CARGO_FUZZ) ## install targets, components, nightly, cargo-fuzz (idempotent)

# rustup add is a no-op when present; nightly is only fetched when missing
# (re-running `toolchain install` would update it on every call; never let it
# update rustup itself).
# `rustup toolchain install` with no name installs what rust-toolchain.toml pins (with its
# components and targets); RUSTUP_AUTO_INSTALL=0 on these machines would otherwise make cargo fail.
toolchains:
	rustup toolchain install --no-self-update
	rustup target add $(NOSTD_TARGETS)
	rustup component add rustfmt clippy
	grep -q '^$(NIGHTLY)-' <<< "$$(rustup toolchain list)" || \
		rustup toolchain install $(NIGHTLY) --profile minimal --no-self-update

# A file target: installed once per version. Unset CARGO_TARGET_DIR so the
# tool's own build goes to a temp dir and is removed, not into our cache.
$(CARGO_FUZZ):
	env -u CARGO_TARGET_DIR cargo install --locked --root $(CARGO_FUZZ_ROOT) \
		--version $(CARGO_FUZZ_VERSION) cargo-fuzz

lint: ## rustfmt check, clippy -D warnings (default and serde features), rustdoc warnings
	cargo fmt --all --check
	RUSTDOCFLAGS="-D warnings" cargo doc -p podscale --no-deps --all-features --quiet
	RUSTDOCFLAGS="-D warnings" cargo doc -p podscale-controller --no-deps --quiet
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p podscale --all-targets --features serde -- -D warnings
	test -z "$$(gofmt -l tests/upstream tests/controlplane)" || { gofmt -l tests/upstream tests/controlplane; exit 1; }
	cd tests/upstream && go vet .

nostd: ## build core for bare-metal Cortex-M and wasm32, with and without serde
	for t in $(NOSTD_TARGETS); do \
		cargo build -p podscale --target $$t --release; \
		cargo build -p podscale --target $$t --release --features serde; \
	done

unit: ## unit, property and doc tests of the workspace
	cargo test --workspace --all-features

# The container image's binary (Dockerfile): `podscale` linked statically against musl, so the
# image can be FROM scratch with nothing else in it. ring (kube's TLS) compiles C and assembly,
# which for this target needs musl-gcc: installed from Debian's musl-tools only when missing.
# Built with its own profile (Cargo.toml [profile.static]: thin LTO, for CI on two cores).
STATIC_TARGET := x86_64-unknown-linux-musl
STATIC_PROFILE := static
STATIC_BIN := $(CARGO_TARGET_DIR)/$(STATIC_TARGET)/$(STATIC_PROFILE)/podscale
# Where the Dockerfile copies it from: inside the repo (the build context), git-ignored.
STATIC_COPY := target/static/podscale

static: ## the podscale binary linked statically (musl), as the Dockerfile copies it
	rustup target add $(STATIC_TARGET)
	command -v musl-gcc >/dev/null || { apt-get update && apt-get install -y musl-tools; }
	cargo build --profile $(STATIC_PROFILE) --locked --target $(STATIC_TARGET) -p podscale-controller --bin podscale
	file -L $(STATIC_BIN) | tee /dev/stderr | grep -Eq 'statically linked|static-pie linked' || \
		{ echo "$(STATIC_BIN) is not statically linked"; exit 1; }
	mkdir -p $(dir $(STATIC_COPY)) && cp $(STATIC_BIN) $(STATIC_COPY)
	@echo "static binary: $(STATIC_COPY) ($$(stat -c %s $(STATIC_COPY)) bytes)"

conformance: ## run the upstream vectors in tests/vectors
	cargo run --release -p podscale-conformance -- tests/vectors/*.json

# Corpora and crash artifacts land in fuzz/corpus and fuzz/artifacts (git-ignored).
fuzz: setup ## run every fuzz target for FUZZ_SECONDS each
	cd fuzz; \
	targets="$$($(FUZZ) list)"; test -n "$$targets"; \
	for t in $$targets; do \
		echo "== fuzz $$t ($(FUZZ_SECONDS)s)"; \
		$(FUZZ) run $$t -- -max_total_time=$(FUZZ_SECONDS); \
	done

harness: ## build the Go harness that runs upstream's code (tests/upstream)
	@command -v go >/dev/null || { echo "the differential tests need Go (1.26 or newer: tests/upstream/go.mod)"; exit 1; }
	mkdir -p $(dir $(UPSTREAM_HARNESS))
	cd tests/upstream && go build $(GO_BUILD_FLAGS) -o $(UPSTREAM_HARNESS) .

# The test control plane (tests/controlplane): upstream's kube-apiserver and etcd built from the
# Go modules pinned there, once per version pair, into a cache directory that the Rust harness
# (tests/controlplane/harness, PODSCALE_CONTROL_PLANE_DIR) starts them from. The versions are read
# from go.mod, so bumping a pin builds next to the old pair instead of reusing it. The -X flags
# stamp the version as upstream's release build does (hack/lib/version.sh).
CP_K8S_VERSION := $(shell awk '$$1 == "k8s.io/kubernetes" { print $$2; exit }' tests/controlplane/go.mod)
CP_ETCD_VERSION := $(shell awk '$$1 == "go.etcd.io/etcd/server/v3" { print $$2; exit }' tests/controlplane/go.mod)
CONTROL_PLANE_DIR := $(CACHE)/control-plane/$(CP_K8S_VERSION)-$(CP_ETCD_VERSION)
CP_K8S_MINOR := $(word 2,$(subst ., ,$(CP_K8S_VERSION)))
CP_VERSION_LDFLAGS := $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(pkg).gitVersion=$(CP_K8S_VERSION) -X $(pkg).gitMajor=1 -X $(pkg).gitMinor=$(CP_K8S_MINOR) \
	-X $(pkg).gitTreeState=clean)

# `cargo test` (make unit) lists these tests as ignored, since they need the binaries; here they run.
controlplane-test: controlplane ## the control plane itself, then the controller on it (end to end, failover, leader election)
	cargo test -p podscale-controlplane -- --include-ignored
	cargo test -p podscale-controller --test e2e --test failover --test leader_election --test deploy -- --include-ignored

bench-controller: controlplane ## 1,000 PodScalers on the test control plane: sync period kept, latency, peak RSS
	cargo test --profile static -p podscale-controller --test scale -- --include-ignored --nocapture

controlplane: $(CONTROL_PLANE_DIR)/kube-apiserver $(CONTROL_PLANE_DIR)/etcd ## build kube-apiserver and etcd for controller tests (once per version)
	@echo "control plane binaries in $(CONTROL_PLANE_DIR)"

# Built under a temporary name and renamed, so an interrupted build never leaves a binary
# that looks complete.
$(CONTROL_PLANE_DIR)/%:
	@command -v go >/dev/null || { echo "the control plane needs Go (1.26 or newer: tests/controlplane/go.mod)"; exit 1; }
	mkdir -p $(CONTROL_PLANE_DIR)
	cd tests/controlplane && go build -buildvcs=false -trimpath -ldflags="-s -w $(CP_VERSION_LDFLAGS)" \
		-o $@.partial ./cmd/$*
	mv $@.partial $@

difftest: harness ## random inputs through podscale and upstream side by side (N cases per family)
	cargo run --quiet --release -p podscale-differential --bin difftest -- \
		--harness $(UPSTREAM_HARNESS) --cases $(N) --seed $(SEED)

# The vectors run last so that their "N passed, M failed" line closes the log.
test: setup lint nostd unit static controlplane-test fuzz difftest conformance python node ## everything CI runs, stops at the first failure

bench: ## criterion benchmarks of the core
	cargo bench -p podscale

# The workloads are listed once, in the table printer (tests/differential/src/bin/bench_compare.rs),
# which also prints the filters that select them on each side. Results go to a fresh directory
# (criterion's via CRITERION_HOME), so no earlier run can leak into the table; the two sides run
# one after the other, never at the same time. The table is also left in bench-compare/table.md.
bench-compare: harness ## the same workloads through upstream's Go code and the core: a ratio table
	rm -rf $(CACHE)/bench-compare && mkdir -p $(CACHE)/bench-compare
	cargo build --quiet --release -p podscale-differential --bin bench_compare
	cd tests/upstream && go test -run '^$$' -bench "$$($(CARGO_TARGET_DIR)/release/bench_compare go-filter)" \
		-benchmem -count 3 $(GO_BUILD_FLAGS) . | tee $(CACHE)/bench-compare/go.txt
	CRITERION_HOME=$(CACHE)/bench-compare/criterion cargo bench -p podscale \
		--bench hpa --bench cron --bench vpa --bench vpa_recommendation -- \
		--warm-up-time 1 --measurement-time 3 "$$($(CARGO_TARGET_DIR)/release/bench_compare criterion-filter)"
	$(CARGO_TARGET_DIR)/release/bench_compare table --go $(CACHE)/bench-compare/go.txt \
		--criterion $(CACHE)/bench-compare/criterion | tee $(CACHE)/bench-compare/table.md

# The walkthroughs of controller/examples/walkthroughs, replayed by `podscale demo` from the
# manifests and demand files themselves: the Kubernetes HPA walkthrough (php-apache), KEDA's
# quarter-hour Seoul cron schedule, and the VPA recommendation for the hamster example. It
# prints the three timelines and writes their SVG plots (and CSVs) into DEMO_DIR.
DEMO_DIR ?= $(CACHE)/demo

# Without the controller's cluster half (kube, tokio): the walkthroughs need none of it, and a
# fresh machine builds the command in a fraction of the time.
demo: toolchains ## replay the walkthroughs (HPA, KEDA cron, VPA): timelines and SVG plots
	cargo run --quiet --release -p podscale-controller --no-default-features --features cli -- demo --out-dir $(DEMO_DIR)

# The Python package (bindings/python), built from this tree into .venv/ (git-ignored): pip and
# maturin's build output are cached (pip by content in $(CACHE)/pip, cargo in CARGO_TARGET_DIR),
# and each step reruns only when its inputs changed, so a warm `make python` only tests.
VENV := .venv
VENV_PY := $(VENV)/bin/python
PY_REQUIREMENTS := bindings/python/requirements-dev.txt
PY_INPUTS := Cargo.lock $(shell find core/src controller/src bindings/common bindings/python \
	-type f \( -name '*.rs' -o -name '*.toml' -o -name '*.py' -o -name '*.pyi' -o -name py.typed \) 2>/dev/null)

$(VENV)/.requirements: $(PY_REQUIREMENTS)
	test -x $(VENV_PY) || python3 -m venv $(VENV)
	PIP_CACHE_DIR=$(CACHE)/pip $(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $(PY_REQUIREMENTS)
	touch $@

# The venv's bin on PATH: pip runs maturin from there (no isolated build environment).
$(VENV)/.podscale: $(VENV)/.requirements $(PY_INPUTS)
	PATH="$(abspath $(VENV))/bin:$$PATH" PIP_CACHE_DIR=$(CACHE)/pip $(VENV_PY) -m pip install --quiet --disable-pip-version-check \
		--no-build-isolation --no-deps --force-reinstall ./bindings/python
	touch $@

# The vectors run last here too, so that their "N passed, M failed" line closes the log.
python: $(VENV)/.podscale ## the Python package in .venv/: pytest, stubtest, the notebook, the vectors
	cd bindings/python && ../../$(VENV_PY) -m pytest -q -p no:cacheprovider
	$(VENV_PY) -m mypy.stubtest podscale
	$(VENV_PY) bindings/python/examples/run_notebook.py bindings/python/examples/what-if.ipynb
	$(VENV_PY) -m podscale.conformance tests/vectors/*.json

bench-python: $(VENV)/.podscale ## the Python package's speed: one HPA decision, a week's replay, a million VPA samples
	$(VENV_PY) bindings/python/bench/bench.py

# The Node package (bindings/node): `npm ci` installs the locked dev tools (npm's cache in
# $(CACHE)/npm), `npm run build` builds the addon with @napi-rs/cli and regenerates its loader
# (index.js) and types (index.d.ts), which must come out as committed; then the package's tests
# (node:test, the TypeScript example) and, last, the vectors through its own runner.
NODE_DIR := bindings/node
NODE_GENERATED := $(CACHE)/node-generated

node: ## the Node package: npm ci, the addon, its generated loader and types checked, tests, the vectors
	@command -v node >/dev/null || { echo "the Node package needs Node.js 20 or newer"; exit 1; }
	cd $(NODE_DIR) && npm ci --cache $(CACHE)/npm --prefer-offline --no-audit --no-fund
	rm -rf $(NODE_GENERATED) && mkdir -p $(NODE_GENERATED)
	cp $(NODE_DIR)/index.js $(NODE_DIR)/index.d.ts $(NODE_GENERATED)/
	cd $(NODE_DIR) && npm run build
	diff -u $(NODE_GENERATED)/index.js $(NODE_DIR)/index.js || { echo "index.js is out of date: commit the regenerated one"; exit 1; }
	diff -u $(NODE_GENERATED)/index.d.ts $(NODE_DIR)/index.d.ts || { echo "index.d.ts is out of date: commit the regenerated one"; exit 1; }
	cd $(NODE_DIR) && npm test
	cd $(NODE_DIR) && node bin/podscale-conformance.js ../../tests/vectors/*.json
