#!/usr/bin/env bash
# Load test of `quarry serve` on 127.0.0.1 with wrk (Debian package): POST /search at 1, 8 and 32
# connections, DURATION seconds each (bounded), while a writer adds documents during the 32-client
# run; afterwards the index must count every acknowledged document and find each by its marker.
# Usage: bench/load-test.sh [DURATION_SECONDS=15] [PORT=8099] [SERVE_OPTION...]
#   e.g. bench/load-test.sh 15 8099 --onnx-file model_qint8_avx512_vnni.onnx   (after `./quarry quantize`)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
port=${2:-8099}
shift $(( $# < 2 ? $# : 2 ))
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') # serve refuses tokens under 16 characters
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 2; }
index_dir=$(mktemp -d)
QUARRY_TOKEN=$token ./quarry serve -p "$port" --index "$index_dir" "$@" > /tmp/quarry-load-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$index_dir"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
base=$(curl -sf "http://127.0.0.1:$port/health" | sed 's/.*"documents":\([0-9]*\).*/\1/')
echo "quarry serve $* on 127.0.0.1:$port, $base passages; wrk ${duration}s per level; $(nproc) cores shared by server and wrk"
printf '%8s %10s %9s %9s %9s\n' clients QPS "p50 ms" "p99 ms" errors
for c in 1 8 32; do
  added_file=$(mktemp)
  if [ "$c" = 32 ]; then
    ( end=$((SECONDS + duration)); i=0
      while [ $SECONDS -lt $end ]; do
        curl -sf -X POST "http://127.0.0.1:$port/documents" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
          -d "{\"documents\": [{\"id\": \"load-$i\", \"title\": \"Load test\", \"text\": \"load test marker zq${i}x\"}]}" >/dev/null \
          && { echo "$i" >> "$added_file"; i=$((i + 1)); }   # not acknowledged (e.g. 503): the same id again
        sleep 0.2
      done ) &
    writer=$!
  fi
  out=$(wrk -t "$([ "$c" -lt 2 ] && echo 1 || echo 2)" -c "$c" -d "${duration}s" --latency -s bench/search.lua "http://127.0.0.1:$port" 2>&1) \
    || { echo "wrk failed at $c clients: $out" >&2; exit 1; }
  [ "$c" = 32 ] && wait "$writer"
  qps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {e=1; print} END {if (!e) print 0}' | tr '\n' ' ')
  printf '%8s %10s %9s %9s %9s\n' "$c" "$qps" "$p50" "$p99" "$errors"
  eval "qps_$c=$qps"
  [ "$c" = 32 ] && { added=$(wc -l < "$added_file"); acked=$(cat "$added_file"); }
  rm -f "$added_file"
done
echo "Throughput 32 / 1 clients: $(awk "BEGIN {printf \"%.2f\", $qps_32 / $qps_1}")x"
count=$(curl -sf "http://127.0.0.1:$port/health" | sed 's/.*"documents":\([0-9]*\).*/\1/')
found=0
for i in $acked; do
  curl -sf -X POST "http://127.0.0.1:$port/search" -H 'Content-Type: application/json' \
    -d "{\"query\": \"zq${i}x\", \"k\": 1, \"mode\": \"bm25\"}" | grep -q "\"id\":\"load-$i\"" && found=$((found + 1))
done
status=OK; [ "$count" = $((base + added)) ] && [ "$found" = "$added" ] || status=MISMATCH
echo "Documents added during the 32-client run: $added acknowledged; index holds $count = $base + $added; $found found by marker: $status"
[ "$status" = OK ]
