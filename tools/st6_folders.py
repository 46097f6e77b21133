"""Quarry against Python sentence-transformers on the folders sentence-transformers 6 writes.

A developer check, never a dependency of the build or the tests. Run through tools/st6-folders.sh,
which makes the inputs; this script is its Python half. Given a folder that Quarry wrote ($W/quarry),
it:
  1. loads it in SentenceTransformer and saves it again with save_pretrained -> $W/st6 (today's
     layout: new module class paths, sentence_bert_config.json without max_seq_length, the length in
     tokenizer_config.json, the new Pooling config, model.safetensors and no ONNX file);
  2. builds Router.for_query_document from the same weights (queries: CLS pooling, documents: mean
     pooling, both normalised) and saves it -> $W/router;
  3. writes Python's embeddings of the probe texts: st6.npy (encode), router_query.npy
     (encode_query), router_document.npy (encode_document), and the saved files' key contents.
"""
import json, os, sys
import numpy as np
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules import Normalize, Router, Transformer
from sentence_transformers.sentence_transformer.modules import Pooling

W = sys.argv[1]
texts = [l.rstrip("\n") for l in open(f"{W}/texts.txt", encoding="utf-8")]

m = SentenceTransformer(f"{W}/quarry", device="cpu")
m.save_pretrained(f"{W}/st6")
np.save(f"{W}/st6.npy", m.encode(texts, batch_size=16, convert_to_numpy=True))

def route(mode):
    t = Transformer(f"{W}/quarry")
    return [t, Pooling(t.get_embedding_dimension(), pooling_mode=mode), Normalize()]
router = SentenceTransformer(modules=[Router.for_query_document(route("cls"), route("mean"))], device="cpu")
router.save_pretrained(f"{W}/router")
np.save(f"{W}/router_query.npy", router.encode_query(texts, batch_size=16, convert_to_numpy=True))
np.save(f"{W}/router_document.npy", router.encode_document(texts, batch_size=16, convert_to_numpy=True))

import sentence_transformers, transformers, torch
print(json.dumps({"sentence_transformers": sentence_transformers.__version__, "transformers": transformers.__version__,
                  "torch": torch.__version__, "max_seq_length": m.max_seq_length,
                  "st6_modules": json.load(open(f"{W}/st6/modules.json")),
                  "st6_sentence_bert_config": json.load(open(f"{W}/st6/sentence_bert_config.json")),
                  "router_modules": json.load(open(f"{W}/router/modules.json")),
                  "router_config": json.load(open(f"{W}/router/router_config.json"))}, indent=1))
