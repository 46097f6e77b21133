#!/usr/bin/env bash
# Peak resident memory and step time of MultipleNegativesRankingLoss at batch 32 and 256 against
# CachedMultipleNegativesRankingLoss at batch 256 in mini-batches of 32, on SciFact (query, abstract)
# pairs with all-MiniLM-L6-v2, each in its own JVM (GNU time's maximum RSS), in one run.
# Usage: bench/cached-mnrl-memory.sh [SCIFACT_DIR=../shared/datasets/scifact] [STEPS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/datasets/scifact}"
steps="${2:-2}"
[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package 'time')" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { # name, then train options; prints "name peak-RSS-KiB mean-step-seconds|killed"
  local name=$1; shift
  local status=0
  /usr/bin/time -v ./quarry train -m all-MiniLM-L6-v2 -d "$data" --train-split train --eval-split none \
    --max-steps "$steps" --checkpoint-steps -1 "$@" -o "$work/$name" > /dev/null 2> "$work/$name.err" || status=$?
  local rss step
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.err")
  step=$(sed -n 's/.*mean step \([0-9.]*\) s.*/\1/p' "$work/$name.err")
  if grep -q "Command terminated by signal" "$work/$name.err"; then
    step=killed # the kernel's out-of-memory killer: the peak is where it stopped
  elif [ "$status" -ne 0 ]; then
    tail -20 "$work/$name.err" >&2; exit 1
  fi
  echo "$name $rss $step"
}
results=()
results+=("$(run mnrl-32 --batch-size 32)")
results+=("$(run mnrl-128 --batch-size 128)")
results+=("$(run cached-128-32 --batch-size 128 --loss cached-mnrl --mini-batch-size 32)")
results+=("$(run cached-256-32 --batch-size 256 --loss cached-mnrl --mini-batch-size 32)")
results+=("$(run mnrl-256 --batch-size 256)")
read -r _ base_rss base_step <<< "${results[0]}"
printf '%-16s %12s %10s %12s %14s\n' "loss-batch[-mini]" "peak RSS" "vs mnrl-32" "step (s)" "s per 32 rows"
for r in "${results[@]}"; do
  read -r name rss step <<< "$r"
  batch=$(echo "$name" | cut -d- -f2) # mnrl-B or cached-B-MINI
  if [ "$step" = killed ]; then
    printf '%-16s %9.0f MiB %9.2fx %12s %14s\n' "$name" "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss / $base_rss" | bc -l)" \
      "out of memory" "-"
  else
    printf '%-16s %9.0f MiB %9.2fx %12.2f %14.2f\n' "$name" "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss / $base_rss" | bc -l)" \
      "$step" "$(echo "$step * 32 / $batch" | bc -l)"
  fi
done
echo "(machine memory: $(free -m | awk '/Mem:/ {print $2}') MiB)"
