#!/usr/bin/env bash
# compare.sh CRATE_DIR OUT_DIR
#
# Builds the examples of the tracing-genai checkout at CRATE_DIR (from a snapshot, see
# lib.sh), runs each one through example-telemetry and writes OUT_DIR/<example>.txt (one
# canonical dump per example). Which tree was used goes to OUT_DIR.provenance (next to
# OUT_DIR, so that `diff -r BEFORE AFTER` compares telemetry only).
#
#   CARGO_TARGET_DIR   shared target dir (default: the checkout's target/)
#   KEEP_SNAPSHOT=1    keep the snapshot and the copied binaries (printed at the end)
#   EXAMPLES="a b"     only these examples (default: every example the build produced)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 CRATE_DIR OUT_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

CRATE_DIR=$(cd "$1" && pwd -P)
mkdir -p "$2"
OUT_DIR=$(cd "$2" && pwd -P)
rm -f "$OUT_DIR"/*.txt

echo "== building the tool" >&2
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
TOOL_SRC="$CARGO_TARGET_DIR/release/example-telemetry"

SNAP_CRATE=$(snapshot "$CRATE_DIR")
SNAP=$(dirname "$SNAP_CRATE")
cleanup() { if [ "${KEEP_SNAPSHOT:-0}" != 1 ]; then rm -rf "$SNAP"; fi; }
trap cleanup EXIT
mkdir "$SNAP/bin"
cp "$TOOL_SRC" "$SNAP/bin/example-telemetry"
TOOL="$SNAP/bin/example-telemetry"

{
  provenance "$CRATE_DIR"
  echo "snapshot: $SNAP_CRATE"
  echo "snapshot content sha256: $(tree_hash "$SNAP_CRATE")"
  echo "rustc: $(rustc --version)"
  echo "date: $(date -u +%FT%TZ)"
} > "$OUT_DIR.provenance"

echo "== cargo build --examples --all-features (snapshot of $CRATE_DIR)" >&2
(cd "$SNAP_CRATE" && cargo build --examples --all-features --config "$SPLIT_OFF_DEV" \
  --message-format=json-render-diagnostics > "$SNAP/build.json")
BUILT=$(check_built "$SNAP/build.json" example lib)
echo "$BUILT" | sed 's/^/  built: /' >&2

# Copy every example binary out of the shared target dir right away (and check that it is
# ours: it must contain the snapshot's path, its DWARF comp_dir).
NAMES=()
while read -r kind name exe; do
  [ "$kind" = example ] || continue
  if [ -n "${EXAMPLES:-}" ] && ! [[ " $EXAMPLES " == *" $name "* ]]; then continue; fi
  hashed=$(hashed_artifact "$exe" "$SNAP_CRATE") || die "no binary of ours for example $name"
  cp "$hashed" "$SNAP/bin/$name"
  grep -a -q -F "$SNAP_CRATE" "$SNAP/bin/$name" || die "$name: copied binary is not from $SNAP_CRATE"
  echo "binary $name: $(basename "$hashed") sha256 $(sha256sum "$SNAP/bin/$name" | cut -c1-16)" >> "$OUT_DIR.provenance"
  NAMES+=("$name")
done <<< "$BUILT"
[ ${#NAMES[@]} -gt 0 ] || die "no example built"
mapfile -t NAMES < <(printf '%s\n' "${NAMES[@]}" | LC_ALL=C sort)

# Runs: every example as is, plus variants (dump name, example, extra environment). The
# content variant puts message content on the OTLP path (the content_capture example only
# prints it from an in-memory exporter, without OTLP types).
RUNS=()
for name in "${NAMES[@]}"; do RUNS+=("$name|$name|"); done
if printf '%s\n' "${NAMES[@]}" | grep -qx openai_compatible; then
  RUNS+=("openai_compatible+content|openai_compatible|OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_AND_EVENT")
fi

status=0
for run in "${RUNS[@]}"; do
  IFS='|' read -r dump name envs <<< "$run"
  extra=()
  for kv in $envs; do extra+=(--env "$kv"); done
  # Run from the snapshot (examples see the same relative paths as in a checkout).
  (cd "$SNAP_CRATE" && "$TOOL" --name "$dump" --out "$OUT_DIR/$dump.txt" "${extra[@]}" \
      --replace "$SNAP_CRATE=<crate>" --replace "$SNAP=<snapshot>" -- "$SNAP/bin/$name") \
    || { echo "example-telemetry failed for $dump" >&2; status=1; }
done

echo "== dumps in $OUT_DIR (provenance: $OUT_DIR.provenance)" >&2
[ "${KEEP_SNAPSHOT:-0}" = 1 ] && echo "snapshot kept: $SNAP" >&2
exit $status
