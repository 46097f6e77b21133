#!/usr/bin/env bash
# Quarry's CrossEncoder against Python sentence-transformers' (reranking issue): a developer check,
# not part of the build or CI.
#
#   tools/crossencoder-check.sh [PYTHON]
#
# PYTHON has sentence-transformers installed (checked with 6.0.1; tools/st6-folders.sh says how to
# make one from the local wheels). `quarry train --max-steps 1` writes all-MiniLM-L6-v2 as a folder;
# Python puts a seeded classification head on its encoder (CrossEncoder(folder, num_labels=1)) and
# saves it in today's modular layout and as a classic transformers folder; `quarry rerank` scores the
# same pairs from both (exporting the safetensors, head included, on first use). Fails above 1e-5.
set -euo pipefail
PY=${1:-python3}
cd "$(dirname "$0")/.."
W=$(mktemp -d /tmp/ce-check.XXXXXX)
export QUARRY_HOME=${QUARRY_HOME:-$W/home}
echo "work folder: $W"
./quarry train -m all-MiniLM-L6-v2 -d datasets/ai-qa --max-steps 1 --eval-steps 0 -o "$W/quarry" > "$W/train.log" 2>&1 \
  || { cat "$W/train.log"; exit 1; }
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
"$PY" tools/crossencoder_check.py "$W" 2> "$W/python.log" || { cat "$W/python.log"; exit 1; }
./quarry rerank -m "$W/ce_modular" --scores "$(cat "$W/query.txt")" "$W/passages.txt" > "$W/quarry_modular.txt"
./quarry rerank -m "$W/ce_classic" --scores "$(cat "$W/query.txt")" "$W/passages.txt" > "$W/quarry_classic.txt"
./quarry info -m "$W/ce_modular" | head -6
./quarry rerank -m "$W/ce_modular" -k 3 "$(cat "$W/query.txt")" "$W/passages.txt"
"$PY" - "$W" <<'PYCHECK'
import json, sys
w = sys.argv[1]
py = json.load(open(f"{w}/python_scores.json"))
print(f"Python sentence-transformers {py['st']}: activation {py['activation']}, max_length {py['max_length']}, top-3 {py['top3']}")
worst = 0.0
for name in ["modular", "classic"]:
    q = [float(l) for l in open(f"{w}/quarry_{name}.txt")]
    d = max(abs(a - b) for a, b in zip(q, py["scores"]))
    worst = max(worst, d)
    print(f"{name:<8} {len(q)} pairs  max |Quarry - Python| = {d:.3g}")
sys.exit(0 if worst <= 1e-5 else 1)
PYCHECK
