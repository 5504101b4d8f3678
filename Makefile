# Activation Lab's commands. `make serve` and `make test` install whatever is missing first.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/node_modules/binaryen/bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: setup serve test check build release bench bench-smoke clean

## Install the wasm target, trunk, wasm-bindgen-cli, wasm-opt, Chromium and the npm test packages.
setup:
	bash scripts/setup.sh

## Serve the app at http://127.0.0.1:8080 (rebuilds on change).
serve: setup
	trunk serve

## Run everything: formatting, clippy, native tests, wasm tests in headless Chromium, the
## release build and the end-to-end browser tests.
test: setup
	bash scripts/check.sh

## The checks alone, when setup is known to be done.
check:
	bash scripts/check.sh

## Release build into dist/ (add PUBLIC_URL=/sub/path/ to host under a sub-path).
release: setup
	trunk build --release $(if $(PUBLIC_URL),--public-url $(PUBLIC_URL),)

## Benchmark: our kernels, the MLP gradient step against TensorFlow.js (wasm backend), wasm
## against native, the app's recomputation, the shipped size and the cold load, in headless
## Chromium. Prints a table and writes target/bench/results.json (see BENCHMARKS.md).
bench: setup
	node bench/run.mjs

## The same run on tiny shapes with one repetition: checks that it works, not how fast.
bench-smoke:
	node bench/run.mjs --smoke

clean:
	cargo clean
	rm -rf dist e2e/artifacts target/bench
