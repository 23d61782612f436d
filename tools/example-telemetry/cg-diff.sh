#!/usr/bin/env bash
# cg-diff.sh BEFORE.txt AFTER.txt
# Compares two callgrind.sh outputs rung by rung: instructions/span (mean over the stack
# alignments) before and after, the difference, and HIGHER where after is dearer:
#   - single-threaded rungs (r0-r7; deterministic): any increase of the mean (> 0.05/span);
#   - r8a/r8b (the batch processor's thread makes them vary by ~1-2% from run to run): only
#     when after's minimum is above before's maximum; otherwise the two ranges are shown.
# Exit 1 if any rung is HIGHER (or missing).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BEFORE.txt AFTER.txt" >&2; exit 2; }
python3 - "$1" "$2" <<'PYEOF'
import sys
NOISY = {"r8a", "r8b"}
def load(p):
    mean, rng = None, {}
    for line in open(p):
        if line.startswith("instructions/span, one line"):
            mean = {k: float(v) for k, v in (x.split("=") for x in line.split(":", 1)[1].split())}
        if line.startswith("instructions/span range, one line"):
            for x in line.split(":", 1)[1].split():
                k, v = x.split("=")
                lo, hi = v.split("..")
                rng[k] = (float(lo), float(hi))
    if mean is None:
        sys.exit(f"{p}: no 'instructions/span, one line' line (not a callgrind.sh output?)")
    return mean, rng
(b, br), (a, ar) = load(sys.argv[1]), load(sys.argv[2])
worse = False
print(f"{'rung':6} {'before':>12} {'after':>12} {'delta':>10} {'delta %':>8}")
for r in b:
    if r not in a:
        print(f"{r:6} {b[r]:12.1f} {'missing':>12}")
        worse = True
        continue
    d = a[r] - b[r]
    flag = ""
    if r in NOISY and r in br and r in ar:
        if ar[r][0] > br[r][1]:
            flag = "  HIGHER (after's min above before's max)"
            worse = True
        else:
            flag = f"  (noisy rung: before {br[r][0]:.0f}..{br[r][1]:.0f}, after {ar[r][0]:.0f}..{ar[r][1]:.0f})"
    elif d > 0.05:
        flag = "  HIGHER"
        worse = True
    print(f"{r:6} {b[r]:12.1f} {a[r]:12.1f} {d:+10.1f} {100 * d / b[r]:+7.2f}%{flag}")
for r in a:
    if r not in b:
        print(f"{r:6} {'missing':>12} {a[r]:12.1f}")
print("verdict: " + ("SOME RUNG IS MORE EXPENSIVE" if worse else "no rung more expensive"))
sys.exit(1 if worse else 0)
PYEOF
