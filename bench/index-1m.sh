#!/usr/bin/env bash
# The vector path at size: N generated passages with precomputed 384-d vectors (a float32 .npy),
# indexed by `quarry index --vectors` under -Xmx1g (wall time and peak RSS from /usr/bin/time), then
# the two ways of opening the finished index that users wait for: a fresh `quarry search --mode
# dense` and a `quarry serve` restart up to its first answer.
# Usage: bench/index-1m.sh [PASSAGES] [WORKDIR]   (after mvn -B install -DskipTests)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DIR=${2:-/tmp/quarry-index-1m}
bench=(java -cp quarry-bench/target/quarry-bench.jar dev.quarry.bench.IndexBenchmark)
mkdir -p "$DIR"
[ -f "$DIR/data/corpus.jsonl" ] || "${bench[@]}" generate ../shared/datasets/scifact/corpus.jsonl "$N" "$DIR/data"
[ -f "$DIR/vectors.npy" ] || "${bench[@]}" npy "$N" 384 "$DIR/vectors.npy"
rm -rf "$DIR/idx"
elapsed() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }

QUARRY_JAVA_OPTS=-Xmx1g /usr/bin/time -v ./quarry index -d "$DIR/data" --index "$DIR/idx" --vectors "$DIR/vectors.npy" \
  > "$DIR/index.out" 2> "$DIR/index.err"
grep -E 'added|holds' "$DIR/index.out" "$DIR/index.err" | tail -2 || true
echo "quarry index --vectors, -Xmx1g: $(sed -nE 's/.*Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.*)/\1/p' "$DIR/index.err") wall;" \
  "peak RSS $(sed -nE 's/.*Maximum resident set size \(kbytes\): (.*)/\1/p' "$DIR/index.err") kB; index $(du -sh "$DIR/idx" | cut -f1)," \
  "$(ls "$DIR/idx"/*.si | wc -l) segments"

query="$(head -1 "$DIR/data/queries.jsonl" | sed -E 's/.*"text":"([^"]*)".*/\1/')"
start=$(date +%s.%N)
./quarry search -d "$DIR/data" --index "$DIR/idx" --mode dense -k 3 "$query" > "$DIR/search.out" 2> "$DIR/search.err"
echo "quarry search --mode dense on the existing index: $(elapsed "$start" "$(date +%s.%N)") s wall (JVM start and model load included)"
head -3 "$DIR/search.out"

port=8731
start=$(date +%s.%N)
./quarry serve -d "$DIR/data" --index "$DIR/idx" --port "$port" > "$DIR/serve.out" 2> "$DIR/serve.err" &
pid=$!
answer=""
for _ in $(seq 1 1200); do
  if answer=$(curl -sf -X POST -H 'Content-Type: application/json' --data "{\"query\": \"$query\", \"k\": 3}" \
      "http://127.0.0.1:$port/search" 2>/dev/null); then break; fi
  sleep 0.05
done
echo "quarry serve restart: first /search answer after $(elapsed "$start" "$(date +%s.%N)") s (JVM start, model load and index open included)"
echo "$answer" | head -c 300; echo
kill "$pid"; wait "$pid" 2>/dev/null || true
cat "$DIR/serve.out"
