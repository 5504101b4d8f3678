#!/usr/bin/env bash
# The one check script: formatting, clippy, native tests, wasm tests in headless Chromium, the
# release build, the end-to-end browser tests and the benchmark's smoke run. `make test` runs scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/binaryen/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

step() { printf '\n==== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy, native and wasm32 (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p activation-lab --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p lab-bench --target wasm32-unknown-unknown --lib -- -D warnings

step "native tests (simulation core, URL table, CSV, chart data, golden exports, property tests)"
# A fixed seed for the property tests here, so that a run of this script is reproducible;
# a plain `cargo test` draws fresh cases every time.
PROPTEST_RNG_SEED=20261130 cargo test --workspace

step "wasm tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=180 \
  cargo test -p activation-lab --target wasm32-unknown-unknown

step "the relaxed-SIMD build's kernel tests in headless Chromium (tests named *relaxed*)"
# Release, in target/relaxed with the relaxed rustflags: the dependencies are those the trunk hook
# (scripts/build_relaxed.mjs) compiles there, so the two builds share them.
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=180 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" \
  CARGO_TARGET_DIR=target/relaxed \
  cargo test --release -p activation-lab --target wasm32-unknown-unknown --bin activation-lab -- relaxed

step "release build (trunk), and one for a sub-path (embedding on a course site)"
trunk build --release
trunk build --release --public-url /any/sub/path/ --dist target/dist-subpath

step "end-to-end tests (playwright-core + /usr/bin/chromium; screenshots in e2e/artifacts/)"
(cd e2e && node --test --test-concurrency=1 app.test.mjs classroom.test.mjs train.test.mjs robust.test.mjs readable.test.mjs compare.test.mjs relaxed.test.mjs pool.test.mjs)

step "benchmark smoke run (tiny shapes: checks the bench page, tfjs peer and loss agreement, not speed)"
make bench-smoke
