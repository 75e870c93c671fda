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

.PHONY: help setup toolchains lint nostd unit conformance fuzz test bench demo

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

# The vectors run last so that their "N passed, M failed" line closes the log.
test: setup lint nostd unit fuzz conformance ## everything CI runs, stops at the first failure

bench: ## criterion benchmarks of the core
	cargo bench -p podscale

# The walkthroughs, in order: an HPA load test, KEDA's quarter-hour Seoul schedule, a VPA
# recommendation.
DEMOS := hpa_load_test keda_cron_schedule vpa_recommendation

demo: toolchains ## replay the walkthroughs through the core
	for example in $(DEMOS); do \
		echo "== $$example"; \
		cargo run --quiet --release -p podscale --example $$example; \
		echo; \
	done
