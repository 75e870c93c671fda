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

.PHONY: help setup toolchains lint nostd unit conformance fuzz test bench demo harness difftest bench-compare

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
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p podscale --all-targets --features serde -- -D warnings
	test -z "$$(gofmt -l tests/upstream)" || { gofmt -l tests/upstream; exit 1; }
	cd tests/upstream && go vet .

nostd: ## build core for bare-metal Cortex-M and wasm32, with and without serde
	for t in $(NOSTD_TARGETS); do \
		cargo build -p podscale --target $$t --release; \
		cargo build -p podscale --target $$t --release --features serde; \
	done

unit: ## unit, property and doc tests of the workspace
	cargo test --workspace --all-features

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

difftest: harness ## random inputs through podscale and upstream side by side (N cases per family)
	cargo run --quiet --release -p podscale-differential --bin difftest -- \
		--harness $(UPSTREAM_HARNESS) --cases $(N) --seed $(SEED)

# The vectors run last so that their "N passed, M failed" line closes the log.
test: setup lint nostd unit fuzz difftest conformance ## everything CI runs, stops at the first failure

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

demo: toolchains ## replay the walkthroughs (HPA, KEDA cron, VPA): timelines and SVG plots
	cargo run --quiet --release -p podscale-controller -- demo --out-dir $(DEMO_DIR)
