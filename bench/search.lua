-- wrk script: POST /search with a rotating set of questions (k 5, dense).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local qs = {"What is reciprocal rank fusion?", "Which variant of Adam applies weight decay directly to the weights?", "How does BM25 score documents?", "Why warm up the learning rate?", "What is a bi-encoder?", "How do transformers know word order?", "What does dropout do?", "How is NDCG computed?"}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, "/search", nil, '{"query": "' .. qs[(i % #qs) + 1] .. '", "k": 5}')
end
