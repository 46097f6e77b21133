#!/usr/bin/env bash
# The README's SciFact reranking figures end to end, from public models only: hard negatives mined
# with all-MiniLM-L6-v2, a cross-encoder trained on SciFact train by `quarry train-reranker`, the
# hybrid first stage's run on SciFact test, the reranker quantised to int8, and that run reranked at
# each depth by both graphs (NDCG@10 and ms per query, RerankDepthBenchmark). Nothing trained here
# is kept in the repository: this script builds it.
#
#   mvn -B install -DskipTests && bash bench/rerank-scifact.sh [WORK_DIR]
#
# Environment: BASE (the encoder the reranker starts from; all-MiniLM-L6-v2), FIRST (the bi-encoder
# of the hybrid first stage that is reranked: all-MiniLM-L6-v2, or a folder such as the README's
# `best`), EPOCHS (2), MAX_STEPS
# (-1: all of the epochs), MAX_LENGTH (128), LR (2e-5), DEPTHS (10,20,50,100), TIMED (queries timed
# one at a time per depth; 10), DATA (../shared/datasets/scifact). A step that has its output already
# is skipped, so a stopped run picks up at the step it was in. On 2 cores: one epoch (919 rows x 10
# pairs, 575 steps) ~20 min at 128 tokens; scoring depth 100 ~10 min per graph. The benchmark prints
# each depth's NDCG@10 reranked and fused with the first stage (RRF), and ms per query.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-/tmp/quarry-rerank-scifact}
D=${DATA:-../shared/datasets/scifact}
BASE=${BASE:-all-MiniLM-L6-v2}
FIRST=${FIRST:-all-MiniLM-L6-v2}
EPOCHS=${EPOCHS:-2}
MAX_STEPS=${MAX_STEPS:--1}
MAX_LENGTH=${MAX_LENGTH:-128}
LR=${LR:-2e-5}
DEPTHS=${DEPTHS:-10,20,50,100}
TIMED=${TIMED:-10}
INT8=model_qint8_avx512_vnni.onnx
J=java
for jdk in "${QUARRY_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
  if [ -n "$jdk" ] && [ -x "$jdk/bin/java" ]; then J="$jdk/bin/java"; break; fi
done
mkdir -p "$W"
echo "== SciFact reranking: base $BASE, first stage hybrid BM25 + $FIRST, $EPOCHS epoch(s), lr $LR, max length $MAX_LENGTH, depths $DEPTHS; work in $W =="

[ -s "$W/mined.jsonl" ] || ./quarry mine -m all-MiniLM-L6-v2 -d "$D" -o "$W/mined.jsonl" --range-min 3 --range-max 60 \
  --num-negatives 9 --sampling random --format n-tuple
[ -f "$W/reranker/onnx/model.onnx" ] || ./quarry train-reranker -m "$BASE" -d "$D" --train-file "$W/mined.jsonl" --loss bce \
  --pos-weight 9 --lr "$LR" --max-length "$MAX_LENGTH" --epochs "$EPOCHS" --max-steps "$MAX_STEPS" -o "$W/reranker"
[ -f "$W/hybrid/run.hybrid.trec" ] || ./quarry eval -m "$FIRST" -d "$D" --mode hybrid -o "$W/hybrid"
[ -f "$W/reranker/onnx/$INT8" ] || ./quarry quantize -m "$W/reranker"
"$J" -cp quarry-bench/target/quarry-bench.jar dev.quarry.bench.RerankDepthBenchmark "$D" test "$W/hybrid/run.hybrid.trec" \
  "$W/reranker" "$TIMED" "$DEPTHS" "$INT8"
