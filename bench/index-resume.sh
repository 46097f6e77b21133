#!/usr/bin/env bash
# kill -9 a `quarry index` run at about half way, run it again, and check what the second run did:
# the final document count, no duplicate ids, and that committed documents were not encoded again.
# Then times a fresh `quarry search --mode dense` on the finished index (JVM start included).
# Usage: bench/index-resume.sh [PASSAGES] [WORKDIR]   (after mvn -B install -DskipTests)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
DIR=${2:-/tmp/quarry-index-resume}
rm -rf "$DIR"
java -cp quarry-bench/target/quarry-bench.jar dev.quarry.bench.IndexBenchmark generate ../shared/datasets/scifact/corpus.jsonl "$N" "$DIR/data"
./quarry index -d "$DIR/data" --index "$DIR/idx" --chunk-size 256 --commit-every 512 2> "$DIR/first.err" &
pid=$!
# The progress bar prints "done/total KB" every 5 s: kill once half the bytes are done.
while kill -0 "$pid" 2>/dev/null; do
  if grep -Eo '[0-9]+/[0-9]+ KB' "$DIR/first.err" | tail -1 | awk -F'[/ ]' '{exit !($1 * 2 >= $2 && $2 > 0)}'; then
    pkill -9 -P "$pid" java 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
    echo "killed with SIGKILL at: $(grep -Eo '[0-9]+/[0-9]+ KB' "$DIR/first.err" | tail -1)"
    break
  fi
  sleep 1
done
wait "$pid" 2>/dev/null || true
start=$(date +%s.%N)
./quarry index -d "$DIR/data" --index "$DIR/idx" --chunk-size 256 --commit-every 512 2> "$DIR/second.err" > "$DIR/second.out"
end=$(date +%s.%N)
summary=$(grep -E 'resumed after line' "$DIR/second.err" || grep -E 'added' "$DIR/second.err")
echo "second run: $summary ($(awk "BEGIN{printf \"%.1f\", $end - $start}") s)"
cat "$DIR/second.out"
line=$(echo "$summary" | sed -nE 's/.*resumed after line ([0-9]+);.*/\1/p')
encoded=$(echo "$summary" | sed -nE 's/.*\(([0-9]+) encoded\).*/\1/p')
held=$(sed -nE 's/.* holds ([0-9]+) documents.*/\1/p' "$DIR/second.out")
ids=$(grep -c '"_id"' "$DIR/data/corpus.jsonl")
echo "corpus ids $ids; index holds $held; committed before the kill $line; encoded on resume $encoded (expected $((ids - line)))"
[ "$held" = "$ids" ] && [ "$encoded" = "$((ids - line))" ] && echo "RESUME OK" || { echo "RESUME FAILED"; exit 1; }
start=$(date +%s.%N)
./quarry search -d "$DIR/data" --index "$DIR/idx" --mode dense -k 3 "$(head -1 "$DIR/data/queries.jsonl" | sed -E 's/.*"text":"([^"]*)".*/\1/')" > "$DIR/search.out" 2> "$DIR/search.err"
end=$(date +%s.%N)
echo "quarry search --mode dense on the existing index: $(awk "BEGIN{printf \"%.1f\", $end - $start}") s wall (JVM start and model load included)"
head -2 "$DIR/search.out"
