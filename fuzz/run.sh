#!/usr/bin/env bash
# Builds the `layer` fuzz target with libFuzzer and SanitizerCoverage on the *stable* toolchain
# (the flags `cargo fuzz build -s none` passes; no cargo-fuzz, no nightly) and runs it for a
# bounded time on the seed corpus.
#   fuzz/run.sh [SECONDS]        (default 60)
# A crash leaves its input in fuzz/artifacts/layer/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
# Its own target directory whatever the caller's CARGO_TARGET_DIR (other RUSTFLAGS: sharing
# would rebuild the caller's artifacts).
export CARGO_TARGET_DIR="$PWD/target"
host="$(rustc -vV | sed -n 's/^host: //p')"
# `--target` keeps these flags off build scripts and proc macros, as cargo fuzz does.
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cdebug-assertions -Coverflow-checks"
locked=--locked
cargo fetch --locked >/dev/null 2>&1 || locked=
cargo build --release $locked --target "$host" --bin layer
mkdir -p artifacts/layer corpus/work
# New inputs go to a scratch corpus (not committed); the seeds are read only.
./target/"$host"/release/layer corpus/work corpus/layer \
  -artifact_prefix=artifacts/layer/ \
  -max_total_time="$secs" -rss_limit_mb=2048 -max_len=4096 -len_control=0 -timeout=20 \
  -print_final_stats=1
