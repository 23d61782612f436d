# Shared by compare.sh and callgrind.sh (sourced, not run).
#
# Why a snapshot and a profile override: every checkout of tracing-genai (the main work tree,
# each `git worktree`) builds into the same CARGO_TARGET_DIR, and cargo gives the crate's own
# units the same file names in every checkout (the package's path is hashed relative to its
# workspace root) and decides freshness by mtime only. So `cargo build` in checkout B can
# declare B "fresh" and hand out binaries compiled from checkout A (observed here: wt-base's
# examples were served from another checkout's build). To be sure what is measured:
#   1. the crate is copied (work tree as it is, tracked or not, without target/ and .git) to a
#      fresh directory: new mtimes force cargo to compile the crate's own units from the copy,
#      and the copy freezes a tree that may be changing under our feet;
#   2. `split-debuginfo = "off"` is set for the tracing-genai package only. That is the
#      platform default on Linux (rustc generates exactly the same code), but it changes the
#      units' metadata hash, so our artifacts get file names no other checkout's build uses:
#      we never overwrite another checkout's artifacts and they never overwrite ours.
#      Dependencies are not affected and stay shared.
#   3. cargo's JSON messages must show the crate's units as compiled (not fresh), and a debug
#      binary must contain the snapshot's absolute path (its DWARF comp_dir).

: "${CARGO_TARGET_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/target}"
export CARGO_TARGET_DIR

die() { echo "error: $*" >&2; exit 1; }

# snapshot CRATE_DIR -> prints the snapshot's crate dir (under a new mktemp dir)
snapshot() {
  local src="$1" snap
  [ -f "$src/Cargo.toml" ] || die "$src has no Cargo.toml"
  snap=$(mktemp -d /tmp/et-snap.XXXXXX)
  mkdir "$snap/crate"
  # -m: extract with the current time as mtime (forces the rebuild of the crate's units).
  tar -C "$src" --exclude=./target --exclude=./.git --exclude=./fuzz/target -cf - . \
    | tar -C "$snap/crate" -xmf -
  echo "$snap/crate"
}

# provenance CRATE_DIR -> a few lines describing exactly which tree was used
provenance() {
  local src="$1"
  echo "crate dir: $src"
  if git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
    echo "git HEAD: $(git -C "$src" rev-parse HEAD)"
    echo "git status --porcelain (tracked changes + untracked):"
    git -C "$src" status --porcelain | sed 's/^/  /'
    echo "sha256 of 'git diff HEAD': $(git -C "$src" diff HEAD | sha256sum | cut -c1-64)"
  fi
}

# tree_hash DIR: content hash of the snapshot (file names + contents)
tree_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
}

# check_built JSON_FILE KIND...: every tracing-genai unit of the given kinds was compiled by
# this invocation (fresh == false); prints "kind name executable" lines.
check_built() {
  python3 - "$@" <<'EOF'
import json, sys
path, kinds = sys.argv[1], set(sys.argv[2:])
seen, stale = [], []
for line in open(path):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or "tracing-genai@" not in m["package_id"] and "#tracing-genai" not in m["package_id"]:
        continue
    k = m["target"]["kind"][0]
    if m["fresh"]:
        stale.append(f"{k} {m['target']['name']}")
    if k in kinds:
        seen.append(f"{k} {m['target']['name']} {m.get('executable') or '-'}")
if stale:
    sys.exit("units reported fresh (possibly built from another checkout): " + ", ".join(stale))
if not seen:
    sys.exit("no tracing-genai unit of kind " + "/".join(sorted(kinds)) + " in the build output")
print("\n".join(seen))
EOF
}

# hashed_artifact UPLIFTED_PATH MARKER: the `name-<hash>` file next to (or in deps/ for) the
# uplifted path that is our build; MARKER, if not empty, must occur in it (debug builds).
hashed_artifact() {
  local up="$1" marker="$2" dir name ino cand
  dir=$(dirname "$up"); name=$(basename "$up")
  ino=$(stat -c %i "$up" 2>/dev/null || echo none)
  for cand in "$dir/$name"-???????????????? "$dir/deps/$name"-????????????????; do
    [ -f "$cand" ] || continue
    [ "$(stat -c %i "$cand")" = "$ino" ] || continue
    if [ -z "$marker" ] || grep -a -q -F "$marker" "$cand"; then echo "$cand"; return 0; fi
  done
  # The uplifted link was replaced by another build meanwhile: look at every candidate.
  if [ -n "$marker" ]; then
    for cand in "$dir/$name"-????????????????; do
      [ -f "$cand" ] || continue
      if grep -a -q -F "$marker" "$cand"; then echo "$cand"; return 0; fi
    done
  fi
  return 1
}

SPLIT_OFF_DEV='profile.dev.package.tracing-genai.split-debuginfo="off"'
SPLIT_OFF_BENCH='profile.bench.package.tracing-genai.split-debuginfo="off"'
SPLIT_OFF_RELEASE='profile.release.package.tracing-genai.split-debuginfo="off"'
