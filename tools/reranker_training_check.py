"""Python half of tools/reranker-training-check.sh: a reranker trained by Quarry, in Python sentence-transformers.

Commands (argv[1]):
  predict W   CrossEncoder($W/ce).predict on $W/query.txt x $W/passages.txt -> $W/python_scores.json; also
              re-saves the folder as sentence-transformers saves it today ($W/ce_resaved, the reverse check).
  subset W D  From Quarry's first-stage run $W/eval1/run.<mode>.trec (top 10), keeps the queries of dataset D
              whose relevant documents are all among their 10 candidates (there the two evaluators'
              definitions coincide), writes that dataset to $W/subset, and runs CrossEncoderRerankingEvaluator
              (at_k 10) over the same candidates -> $W/python_rerank_eval.json.
"""
import json, os, shutil, sys

import torch
from sentence_transformers import CrossEncoder

cmd, W = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
ce = CrossEncoder(f"{W}/ce", device="cpu")

if cmd == "predict":
    query = open(f"{W}/query.txt", encoding="utf-8").read().strip()
    passages = [l.rstrip("\n") for l in open(f"{W}/passages.txt", encoding="utf-8")]
    scores = ce.predict([(query, p) for p in passages], batch_size=4)
    ce.save_pretrained(f"{W}/ce_resaved")
    import sentence_transformers
    json.dump({"st": sentence_transformers.__version__, "scores": [float(s) for s in scores],
               "activation": str(ce.activation_fn), "max_length": ce.max_length},
              open(f"{W}/python_scores.json", "w"))
elif cmd == "subset":
    from sentence_transformers.cross_encoder.evaluation import CrossEncoderRerankingEvaluator
    D = sys.argv[3]
    corpus = {}
    for line in open(f"{D}/corpus.jsonl", encoding="utf-8"):
        d = json.loads(line)
        corpus[d["_id"]] = (d.get("title", "") + " " + d["text"]).strip()
    queries = {json.loads(l)["_id"]: json.loads(l)["text"] for l in open(f"{D}/queries.jsonl", encoding="utf-8")}
    qrels = {}
    for i, line in enumerate(open(f"{D}/qrels/test.tsv", encoding="utf-8")):
        q, d, s = line.rstrip("\n").split("\t")
        if i == 0 and not s.isdigit():
            continue
        if int(s) > 0:
            qrels.setdefault(q, set()).add(d)
    run = {}
    import glob
    for line in open(sorted(glob.glob(f"{W}/eval1/run.*.trec"))[0], encoding="utf-8"):
        q, _, d, rank, _, _ = line.split()
        if int(rank) <= 10:
            run.setdefault(q, []).append(d)
    kept = [q for q in run if q in qrels and qrels[q] <= set(run[q])]
    os.makedirs(f"{W}/subset/qrels", exist_ok=True)
    shutil.copy(f"{D}/corpus.jsonl", f"{W}/subset/corpus.jsonl")
    with open(f"{W}/subset/queries.jsonl", "w", encoding="utf-8") as f:
        for q in kept:
            f.write(json.dumps({"_id": q, "text": queries[q]}) + "\n")
    with open(f"{W}/subset/qrels/test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q in kept:
            for d in sorted(qrels[q]):
                f.write(f"{q}\t{d}\t1\n")
    samples = [{"query": queries[q], "positive": [corpus[d] for d in qrels[q]], "documents": [corpus[d] for d in run[q]]}
               for q in kept]
    ev = CrossEncoderRerankingEvaluator(samples, at_k=10, always_rerank_positives=False, name="subset", batch_size=16)
    m = ev(ce)
    json.dump({"queries": len(kept), "of": len(run), "metrics": {k: float(v) for k, v in m.items()}},
              open(f"{W}/python_rerank_eval.json", "w"), indent=1)
