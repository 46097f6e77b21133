#!/usr/bin/env bash
# A reranker trained by Quarry (`quarry train-reranker`) against Python sentence-transformers: a
# developer check, not part of the build or CI.
#
#   tools/reranker-training-check.sh [PYTHON]
#
# PYTHON has sentence-transformers installed (checked with 6.0.1; tools/st6-folders.sh says how to make
# one from the local wheels). Quarry trains a small reranker on the bundled set; then
#   1. CrossEncoder(folder).predict vs `quarry rerank --scores` on the same pairs (fails above 1e-5);
#   2. the folder re-saved by Python (today's layout) scored by Quarry (the reverse direction, same bound);
#   3. CrossEncoderRerankingEvaluator vs `quarry eval --rerank` over the same BM25 top-10 candidates, on
#      the queries whose relevant documents are all among them (fails above 1e-6).
set -euo pipefail
PY=${1:-python3}
cd "$(dirname "$0")/.."
W=$(mktemp -d /tmp/reranker-check.XXXXXX)
export QUARRY_HOME=${QUARRY_HOME:-$W/home}
echo "work folder: $W"
./quarry train-reranker -m all-MiniLM-L6-v2 -d datasets/ai-qa --loss mnrl --max-steps 12 --max-length 128 --lr 1e-4 -o "$W/ce" \
  > "$W/train.log" 2>&1 || { cat "$W/train.log"; exit 1; }
echo "How does dropout regularise a neural network?" > "$W/query.txt"
LONG=$(for i in $(seq 60); do printf 'Dropout randomly zeroes activations during training so units cannot co-adapt. '; done)
cat > "$W/passages.txt" <<TEXTS
Dropout randomly zeroes activations during training.
BM25 ranks documents by term frequency and inverse document frequency.
Weight decay adds a penalty on the squared weights to the loss.
東京の天気はどうですか
Café naïve résumé — ﬁne ligatures 🙂
$LONG
TEXTS
"$PY" tools/reranker_training_check.py predict "$W" 2> "$W/python.log" || { cat "$W/python.log"; exit 1; }
./quarry rerank -m "$W/ce" --scores "$(cat "$W/query.txt")" "$W/passages.txt" > "$W/quarry_trained.txt"
./quarry rerank -m "$W/ce_resaved" --scores "$(cat "$W/query.txt")" "$W/passages.txt" > "$W/quarry_resaved.txt"
./quarry eval -m all-MiniLM-L6-v2 -d datasets/ai-qa --mode bm25 -o "$W/eval1" > "$W/eval1.log" 2>&1 || { cat "$W/eval1.log"; exit 1; }
"$PY" tools/reranker_training_check.py subset "$W" datasets/ai-qa 2>> "$W/python.log" || { cat "$W/python.log"; exit 1; }
./quarry eval -m all-MiniLM-L6-v2 -d "$W/subset" --mode bm25 --rerank "$W/ce" --rerank-depth 10 -o "$W/eval2" > "$W/eval2.log" 2>&1 \
  || { cat "$W/eval2.log"; exit 1; }
"$PY" - "$W" <<'PYCHECK'
import json, sys
w = sys.argv[1]
py = json.load(open(f"{w}/python_scores.json"))
print(f"Python sentence-transformers {py['st']}: activation {py['activation']}, max_length {py['max_length']}")
worst = 0.0
for name in ["trained", "resaved"]:
    q = [float(l) for l in open(f"{w}/quarry_{name}.txt")]
    d = max(abs(a - b) for a, b in zip(q, py["scores"]))
    worst = max(worst, d)
    print(f"{name:<8} {len(q)} pairs  max |Quarry - Python| = {d:.3g}")
ev = json.load(open(f"{w}/python_rerank_eval.json"))
flat = json.load(open(f"{w}/eval2/metrics.json"))["metrics"]  # "<run>_<metric>", the reranked run "<run>+rerank"
run = next(k[: -len("+rerank_ndcg@10")] for k in flat if k.endswith("+rerank_ndcg@10"))
rr = {k[len(run) + len("+rerank_"):]: v for k, v in flat.items() if k.startswith(run + "+rerank_")}
base = {k[len(run) + 1:]: v for k, v in flat.items() if k.startswith(run + "_")}
pm = ev["metrics"]
pairs = [("ndcg@10", "subset_ndcg@10", rr), ("mrr@10", "subset_mrr@10", rr), ("map@100", "subset_map", rr),
         ("ndcg@10", "subset_base_ndcg@10", base), ("mrr@10", "subset_base_mrr@10", base)]
print(f"reranking evaluation over {ev['queries']} of {ev['of']} queries (all relevant documents among the BM25 top 10):")
metric_worst = 0.0
for qk, pk, src in pairs:
    d = abs(src[qk] - pm[pk])
    metric_worst = max(metric_worst, d)
    print(f"  {pk:<22} Python {pm[pk]:.6f}  Quarry {qk:<8} {src[qk]:.6f}  diff {d:.2g}")
sys.exit(0 if worst <= 1e-5 and metric_worst <= 1e-6 else 1)
PYCHECK
