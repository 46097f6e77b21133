#!/usr/bin/env bash
# One machine at a million passages, in one run (after mvn -B install -DskipTests):
#   1. N generated passages with clustered 384-d vectors (ScaleBenchmark data), exact top 10 of 1,000 queries;
#   2. the reference: HnswBenchmark's single-graph build of the same vectors (one thread, one segment);
#   3. per storage (float, int8, int4): `quarry index --vectors` under -Xmx1g, from start to query-ready
#      (bulk load, then the final merge), its segments; recall and p50/p99 at efSearch 100/200/400
#      against exact; the index on disk and in the page cache;
#   4. `quarry serve` on the float index: the first answer after a cold start (page cache dropped when
#      we may), then QPS at 1 and 8 clients.
# Usage: bench/index-1m.sh [PASSAGES] [WORKDIR] [KINDS]   (KINDS default "float int8 int4";
#        SERVE_ONLY=1 repeats step 4 on the float index of an earlier run)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DIR=${2:-/tmp/quarry-index-1m}
KINDS=${3:-float int8 int4}
CP=quarry-bench/target/quarry-bench.jar
# The benchmark JVMs run as ./quarry runs: its JDK (Java 25 where installed) with Lucene's SIMD vector code.
J=java
for jdk in "${QUARRY_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
  if [ -n "$jdk" ] && [ -x "$jdk/bin/java" ]; then J="$jdk/bin/java"; break; fi
done
feature=$("$J" -version 2>&1 | sed -nE '1s/.*version "([0-9]+).*/\1/p')
JAVA=("$J")
if [ "$feature" -ge 21 ]; then
  JAVA+=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector "-Dorg.apache.lucene.vectorization.upperJavaFeatureVersion=$feature")
fi
scale=("${JAVA[@]}" -cp "$CP" dev.quarry.bench.ScaleBenchmark)
mkdir -p "$DIR"
elapsed() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }
echo "== $N passages, $(nproc) cores, $("$J" -version 2>&1 | head -1) for ./quarry and the benchmark JVMs alike =="

[ -f "$DIR/data/corpus.jsonl" ] || java -cp "$CP" dev.quarry.bench.IndexBenchmark generate ../shared/datasets/scifact/corpus.jsonl "$N" "$DIR/data"
[ -f "$DIR/truth.npy" ] || "${JAVA[@]}" -Xmx12g -cp "$CP" dev.quarry.bench.ScaleBenchmark data "$N" "$DIR"

if [ -z "${SERVE_ONLY:-}" ]; then
echo "-- reference: one graph --"
"${JAVA[@]}" -Xmx12g -cp "$CP" dev.quarry.bench.ScaleBenchmark single "$DIR"
single=$(cat "$DIR/single-graph-seconds.txt")

for kind in $KINDS; do
  flag=""
  [ "$kind" = int8 ] && flag="--int8"
  [ "$kind" = int4 ] && flag="--int4"
  idx="$DIR/idx-$kind"
  rm -rf "$idx"
  echo "-- quarry index --vectors $flag (-Xmx1g) --"
  start=$(date +%s.%N)
  QUARRY_JAVA_OPTS=-Xmx1g /usr/bin/time -v ./quarry index -d "$DIR/data" --index "$idx" --vectors "$DIR/vectors.npy" $flag \
    > "$DIR/index-$kind.out" 2> "$DIR/index-$kind.err"
  took=$(elapsed "$start" "$(date +%s.%N)")
  grep -E '^quarry: merging|holds' "$DIR/index-$kind.out" "$DIR/index-$kind.err" | sed 's/^[^:]*://' || true
  echo "start to query-ready: $took s (single graph: $single s; ratio $(awk "BEGIN{printf \"%.2f\", $took / $single}")x);" \
    "peak RSS $(sed -nE 's/.*Maximum resident set size \(kbytes\): (.*)/\1/p' "$DIR/index-$kind.err") kB;" \
    "$(ls "$idx"/*.si | wc -l) segment(s); $(du -sh "$idx" | cut -f1) on disk"
  sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true
  "${JAVA[@]}" -Xmx1g -cp "$CP" dev.quarry.bench.ScaleBenchmark search "$DIR" "$idx" "$kind"
done

fi
echo "-- quarry serve on the float index --"
"${scale[@]}" query-json "$DIR" "$DIR/query.json"
sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo "(page cache dropped)" || echo "(page cache not dropped: not root)"
port=8731
start=$(date +%s.%N)
QUARRY_JAVA_OPTS=-Xmx1g ./quarry serve -d "$DIR/data" --index "$DIR/idx-float" --port "$port" > "$DIR/serve.out" 2> "$DIR/serve.err" &
pid=$!
for _ in $(seq 1 2400); do
  if answer=$(curl -sf -X POST -H 'Content-Type: application/json' --data @"$DIR/query.json" "http://127.0.0.1:$port/search" 2>/dev/null); then break; fi
  sleep 0.05
done
echo "cold start: first /search answer $(elapsed "$start" "$(date +%s.%N)") s after the process started (JVM, model load, index open)"
# Until its vectors are in the page cache every query waits for ~1,300 random disk reads; read the
# index files once, as a warmed-up server has them, before measuring throughput.
cat "$DIR/idx-float"/* > /dev/null
for clients in 1 8; do
  "${scale[@]}" load "http://127.0.0.1:$port/search" "$DIR" "$clients" 20 > /dev/null # warm-up
  "${scale[@]}" load "http://127.0.0.1:$port/search" "$DIR" "$clients" 30
done
kill "$pid"; wait "$pid" 2>/dev/null || true
