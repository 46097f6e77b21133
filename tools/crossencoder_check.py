"""Python half of tools/crossencoder-check.sh: makes cross-encoders with sentence-transformers and scores pairs.

Given $W/quarry (a bi-encoder folder Quarry wrote), builds CrossEncoder(folder, num_labels=1) (a new,
seeded classification head on its encoder), saves it as sentence-transformers saves it today
($W/ce_modular) and as a plain transformers folder, the classic layout ($W/ce_classic), and writes
CrossEncoder.predict's scores of (query, passage) pairs to $W/python_scores.json.
"""
import json, sys
import torch
from sentence_transformers import CrossEncoder

W = sys.argv[1]
query = open(f"{W}/query.txt", encoding="utf-8").read().strip()
passages = [l.rstrip("\n") for l in open(f"{W}/passages.txt", encoding="utf-8")]
torch.manual_seed(42)
ce = CrossEncoder(f"{W}/quarry", num_labels=1, device="cpu")
ce.save_pretrained(f"{W}/ce_modular")
hf = ce[0].model  # the transformers BertForSequenceClassification
hf.config.sentence_transformers = {"activation_fn": "torch.nn.modules.activation.Sigmoid"}
hf.save_pretrained(f"{W}/ce_classic")
ce[0].tokenizer.save_pretrained(f"{W}/ce_classic")
scores = ce.predict([(query, p) for p in passages], batch_size=8)
ranked = ce.rank(query, passages, top_k=3)
import sentence_transformers
json.dump({"st": sentence_transformers.__version__, "scores": [float(s) for s in scores],
           "top3": [int(r["corpus_id"]) for r in ranked], "activation": str(ce.activation_fn),
           "max_length": ce.max_seq_length}, open(f"{W}/python_scores.json", "w"))
