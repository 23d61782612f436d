#!/usr/bin/env bash
# callgrind.sh CRATE_DIR OUT_FILE
#
# Instruction counts per span of the layer ladder (benches/layer.rs, BENCHMARKS.md) for the
# tracing-genai checkout at CRATE_DIR: builds the bench from a snapshot of CRATE_DIR (see
# lib.sh for why), runs every rung under callgrind counting only `measured_loop`, and writes
# a table (instructions per span, the ratios BENCHMARKS.md reports) to OUT_FILE.
#
#   CARGO_TARGET_DIR   shared target dir (default: the checkout's target/)
#   GENAI_BENCH_ITERS  spans per measured loop (default 3000, as in BENCHMARKS.md)
#   RUNGS="r0 r4"      only these rungs (default: r0 r1 r2 r3 r4 r4s r5 r6 r7 r8a r8b)
#   PADS="0 16 32 48"  stack alignments to measure each rung at (see below)
#   NOISY_REPS=3       runs per alignment for the rungs with a batch-processor thread (r8a r8b)
#
# One valgrind at a time: the rungs run one after the other.
#
# Reproducibility: callgrind counts are exact for a given binary AND process image, but the
# client's environment and argv sit at the top of its stack and their size shifts the stack's
# alignment, which changes e.g. glibc memcpy/memmove paths: r4 at 05c3839 is 25,199 or 25,211
# instructions per span depending on the environment's size mod 32 bytes. So valgrind runs
# with `env -i` (the two GENAI_BENCH_* variables and a padding variable GENAI_BENCH_PAD of
# 0/16/32/48 bytes) and the binary as `./layer-bench` from the snapshot directory: the same
# process images for every checkout and every caller. Each rung is run once per padding; the
# table gives the mean over the paddings (a refactoring that shifts stack frames must not
# look cheaper or dearer by alignment luck) and the min..max range. r7 (periodic reader
# thread) and r8a/r8b (batch processor thread) also depend on how valgrind interleaves the
# threads, which involves timers: they vary a little from run to run.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 CRATE_DIR OUT_FILE" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
command -v valgrind >/dev/null || die "valgrind not installed"

CRATE_DIR=$(cd "$1" && pwd -P)
OUT_FILE="$2"
ITERS="${GENAI_BENCH_ITERS:-3000}"
RUNGS="${RUNGS:-r0 r1 r2 r3 r4 r4s r5 r6 r7 r8a r8b}"
PADS="${PADS:-0 16 32 48}"
NOISY_REPS="${NOISY_REPS:-3}"
VALGRIND=$(command -v valgrind)

SNAP_CRATE=$(snapshot "$CRATE_DIR")
SNAP=$(dirname "$SNAP_CRATE")
cleanup() { if [ "${KEEP_SNAPSHOT:-0}" != 1 ]; then rm -rf "$SNAP"; fi; }
trap cleanup EXIT

echo "== cargo bench --bench layer --no-run (snapshot of $CRATE_DIR)" >&2
(cd "$SNAP_CRATE" && cargo bench --bench layer --no-run --config "$SPLIT_OFF_BENCH" \
  --message-format=json-render-diagnostics > "$SNAP/build.json")
BUILT=$(check_built "$SNAP/build.json" bench lib)
echo "$BUILT" | sed 's/^/  built: /' >&2
EXE=$(echo "$BUILT" | awk '$1 == "bench" && $2 == "layer" { print $3 }')
[ -n "$EXE" ] && [ -x "$EXE" ] || die "bench executable not found in cargo's output"
echo "  bench binary: $EXE" >&2
# Copy it out of the shared target dir at once (nothing else can rewrite our copy).
BIN="$SNAP/layer-bench"
cp "$EXE" "$BIN"

{
  echo "# callgrind: instructions per span of the layer ladder (benches/layer.rs)"
  provenance "$CRATE_DIR" | sed 's/^/# /'
  echo "# snapshot content sha256: $(tree_hash "$SNAP_CRATE")"
  echo "# bench binary: $(basename "$EXE") (cargo bench --bench layer --no-run, profile bench,"
  echo "#   tracing-genai split-debuginfo=\"off\" = the Linux default, only to get our own file names)"
  echo "# bench binary sha256: $(sha256sum "$BIN" | cut -c1-64)"
  echo "# $(rustc --version); $(valgrind --version)"
  echo "# command per rung (cwd = snapshot dir, binary copied to ./layer-bench):"
  echo "#   env -i GENAI_BENCH_RUNG=rX GENAI_BENCH_ITERS=$ITERS GENAI_BENCH_PAD=<P x's> $VALGRIND"
  echo "#   --tool=callgrind --toggle-collect='*measured_loop*' ./layer-bench"
  echo "# instructions/span = Collected / $ITERS; one run per P in: $PADS (stack alignment, see"
  echo "#   callgrind.sh); table: mean over the runs, min..max; ratios of the means"
  echo "# date: $(date -u +%FT%TZ)"
  echo
} > "$OUT_FILE.tmp"

declare -A IR
for r in $RUNGS; do
  counts=()
  reps=1
  case "$r" in r8a|r8b) reps=$NOISY_REPS ;; esac
  n=0
  for i in $(for p in $PADS; do for k in $(seq 1 "$reps"); do echo "$p"; done; done); do
    n=$((n + 1))
    log="$SNAP/cg.$r.$n.log"
    pad=$(head -c "$i" /dev/zero | tr '\0' x)
    (cd "$SNAP" && env -i GENAI_BENCH_RUNG="$r" GENAI_BENCH_ITERS="$ITERS" GENAI_BENCH_PAD="$pad" "$VALGRIND" \
        --tool=callgrind --toggle-collect='*measured_loop*' \
        --callgrind-out-file="callgrind.out.$r.$n" ./layer-bench \
        > "$SNAP/cg.$r.$n.stdout" 2> "$log") || die "valgrind failed for $r (see $log)"
    c=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\).*/\1/p' "$log")
    [ -n "$c" ] || die "no 'Collected' line for $r (see $log)"
    counts+=("$c")
    echo "  $r pad $i: Collected $c" >&2
  done
  IR[$r]="${counts[*]}"
done

python3 - "$ITERS" "$RUNGS" "$PADS" >> "$OUT_FILE.tmp" <<EOF
import sys
iters = int(sys.argv[1]); rungs = sys.argv[2].split()
raw = {$(for r in $RUNGS; do printf '"%s": [%s], ' "$r" "$(echo "${IR[$r]}" | tr ' ' ',')"; done)}
what = {
  "r0": "bare registry, non-LLM span",
  "r1": "+ tracing-opentelemetry, non-LLM span",
  "r2": "+ GenAI layer, non-LLM span",
  "r3": "otel only, LLM span, 16 fields raw",
  "r4": "GenAI layer, LLM span (metrics off)",
  "r4s": "r4 without the sampling attributes at start",
  "r5": "r4 + one constant-attribute mapper",
  "r6": "r4 + content capture, ~4 KB messages",
  "r7": "r4 + metrics (SDK meter, periodic reader)",
  "r8a": "r3 through BatchSpanProcessor",
  "r8b": "r4 through BatchSpanProcessor",
}
per = {r: sum(raw[r]) / len(raw[r]) / iters for r in rungs}
ratios = [("r1", "r0"), ("r2", "r1"), ("r4", "r3"), ("r4s", "r3"), ("r5", "r4"), ("r6", "r4"), ("r7", "r4"), ("r8b", "r8a")]
targets = {("r2", "r1"): 1.03, ("r4", "r3"): 1.15, ("r5", "r4"): 1.05}
print("| rung | what | instructions/span (mean) | min..max over alignments | ratio |")
print("|---|---|---|---|---|")
for r in rungs:
    cell = ""
    for a, b in ratios:
        if a == r and b in per:
            cell = f"{a}/{b} = {per[a] / per[b]:.3f}"
    lo, hi = min(raw[r]) / iters, max(raw[r]) / iters
    rng = f"{lo:,.1f}" if lo == hi else f"{lo:,.1f}..{hi:,.1f}"
    print(f"| {r} | {what.get(r, '')} | {per[r]:,.1f} | {rng} | {cell} |")
print()
print("ratios:")
for a, b in ratios:
    if a in per and b in per:
        x = per[a] / per[b]
        t = targets.get((a, b))
        verdict = "" if t is None else f"  (target <= {t:.2f}: {'PASS' if x <= t else 'MISS'}, margin {(t - x) * 100:+.1f} points)"
        print(f"  {a}/{b} = {x:.4f}{verdict}")
print()
print("Collected per run (pads " + " ".join(sys.argv[3].split()) + "; r8a/r8b: each pad repeated):")
for r in rungs:
    print(f"  {r}: " + " ".join(str(c) for c in raw[r]))
print()
print("instructions/span, one line (for diffing): " + " ".join(f"{r}={per[r]:.1f}" for r in rungs))
print("instructions/span range, one line: " + " ".join(f"{r}={min(raw[r]) / iters:.1f}..{max(raw[r]) / iters:.1f}" for r in rungs))
EOF
mv "$OUT_FILE.tmp" "$OUT_FILE"
cat "$OUT_FILE"
