#!/usr/bin/env bash
# Quarry against Python sentence-transformers 6 on the folders it writes today (issue: today's
# sentence-transformers folders). A developer check, not part of the build or CI.
#
#   tools/st6-folders.sh [PYTHON]
#
# PYTHON is an interpreter with sentence-transformers installed (checked with 6.0.1). On the
# project's machines, make one from the local wheel index (pip's find-links folder; `pip config
# list` shows it), CPU only:
#   python3 -m venv /tmp/stvenv
#   /tmp/stvenv/bin/pip install --index-url file:///opt/pypi/simple /opt/wheels/torch-*.whl
#   /tmp/stvenv/bin/pip install --index-url file:///opt/pypi/simple sentence-transformers
#   tools/st6-folders.sh /tmp/stvenv/bin/python
#
# Steps: `quarry train --max-steps 1` writes a folder (its one step runs at learning rate 0, so
# these are all-MiniLM-L6-v2's weights); Python loads it and saves it again (today's layout:
# model.safetensors only, new class paths, the length in tokenizer_config.json) and saves a
# Router.for_query_document of it; Quarry encodes both (exporting the safetensors to ONNX on first
# use) and the vectors are compared with Python's. Fails if any differs by more than 1e-6.
set -euo pipefail
PY=${1:-python3}
cd "$(dirname "$0")/.."
W=$(mktemp -d /tmp/st6-folders.XXXXXX)
export QUARRY_HOME=${QUARRY_HOME:-$W/home}
echo "work folder: $W"

./quarry train -m all-MiniLM-L6-v2 -d datasets/ai-qa --max-steps 1 --eval-steps 0 -o "$W/quarry" > "$W/train.log" 2>&1 \
  || { cat "$W/train.log"; exit 1; }

LONG=$(for i in $(seq 40); do printf 'Gradient checkpointing trades compute for memory by recomputing activations during the backward pass. '; done)
cat > "$W/texts.txt" <<TEXTS
What is retrieval-augmented generation?
Café naïve résumé — ﬁne ligatures
東京の天気はどうですか
emoji 🙂 and	tabs
Dropout randomly zeroes activations during training.
$LONG
TEXTS

"$PY" tools/st6_folders.py "$W" > "$W/python.json" 2> "$W/python.log" || { cat "$W/python.log"; exit 1; }

./quarry encode -m "$W/st6" "$W/texts.txt" -o "$W/quarry_st6.npy"
./quarry encode -m "$W/router" --task query "$W/texts.txt" -o "$W/quarry_router_query.npy"
./quarry encode -m "$W/router" --task document "$W/texts.txt" -o "$W/quarry_router_document.npy"
./quarry info -m "$W/st6"
./quarry info -m "$W/router"

"$PY" - "$W" <<'PYCHECK'
import json, sys
import numpy as np
w = sys.argv[1]
meta = json.load(open(f"{w}/python.json"))
print(f"Python: sentence-transformers {meta['sentence_transformers']}, transformers {meta['transformers']}, torch {meta['torch']};"
      f" max_seq_length {meta['max_seq_length']}")
print("saved modules.json types:", [m["type"] for m in meta["st6_modules"]])
print("saved sentence_bert_config.json:", json.dumps(meta["st6_sentence_bert_config"]))
print("saved router modules.json types:", [m["type"] for m in meta["router_modules"]])
worst = 0.0
print(f"{'folder':<22} {'texts':>5} {'max |Quarry - Python|':>22} {'min cosine':>11}")
for name in ["st6", "router_query", "router_document"]:
    a, b = np.load(f"{w}/quarry_{name}.npy"), np.load(f"{w}/{name}.npy")
    d = float(np.abs(a - b).max())
    cos = float(((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)).min())
    worst = max(worst, d)
    print(f"{name:<22} {a.shape[0]:>5} {d:>22.3g} {cos:>11.8f}")
q, d = np.load(f"{w}/quarry_router_query.npy"), np.load(f"{w}/quarry_router_document.npy")
print(f"routes differ (CLS vs mean pooling): max |query - document| = {float(np.abs(q - d).max()):.3g}")
sys.exit(0 if worst <= 1e-6 else 1)
PYCHECK
