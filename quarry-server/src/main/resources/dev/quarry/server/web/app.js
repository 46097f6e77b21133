// Built with textContent and <mark> elements only: passage text is never parsed as HTML.
function marked(text, spans) {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const [start, end] of spans) {
    if (start < at) continue;
    frag.append(text.slice(at, start));
    const m = document.createElement('mark');
    m.textContent = text.slice(start, end);
    frag.append(m);
    at = end;
  }
  frag.append(text.slice(at));
  return frag;
}

function headers() {
  const h = { 'Content-Type': 'application/json' };
  const token = sessionStorage.getItem('quarry-token');
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

async function post(request) {
  let res = await fetch('/search', { method: 'POST', headers: headers(), body: JSON.stringify(request) });
  if (res.status === 401) {
    // A server on a public address wants its token for searches too: ask once, keep it for this tab.
    const token = window.prompt('This server needs its access token to search:');
    if (token) {
      sessionStorage.setItem('quarry-token', token.trim());
      res = await fetch('/search', { method: 'POST', headers: headers(), body: JSON.stringify(request) });
    }
  }
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

// What the server searches, from /health: said on the page before any search.
let server = { reranker: null, noun: 'passages' };

async function describe() {
  try {
    const h = await (await fetch('/health')).json();
    server = { reranker: h.reranker || null, noun: h.group_by === 'document' ? 'documents' : 'passages' };
    const what = h.chunks ? h.documents.toLocaleString('en') + ' chunks of your documents' : h.documents.toLocaleString('en') + ' passages';
    document.getElementById('about').textContent = 'Searching ' + what + ' with ' + h.model
      + (h.reranker ? ', reranked by ' + h.reranker : '') + (h.chunks ? '; one result per ' + (h.group_by === 'document' ? 'document' : 'chunk') : '') + '.';
  } catch (e) {
    // The page still works without the description.
  }
}

function where(hit) {
  if (!hit.path) return hit.id;
  return hit.path + (hit.page ? ' · page ' + hit.page : '');
}

function render(body, results) {
  results.replaceChildren();
  for (const hit of body.hits) {
    const li = document.createElement('li');
    li.className = 'hit';
    li.dataset.id = hit.id;
    const head = document.createElement('div');
    head.className = 'head';
    const title = document.createElement('span');
    title.className = 'title';
    title.append(marked(hit.title || '(untitled)', hit.title_highlights));
    const score = document.createElement('span');
    score.className = 'score';
    // With a reranker, both stages' scores: the cross-encoder's and the first stage's (and its rank there).
    score.textContent = hit.first_stage_score === undefined ? 'score ' + hit.score.toFixed(4)
      : 'rerank ' + hit.score.toFixed(4) + ' · ' + body.mode + ' ' + hit.first_stage_score.toFixed(4) + ' (#' + hit.first_stage_rank + ')';
    head.append(title, score);
    const text = document.createElement('p');
    text.className = 'text';
    text.append(marked(hit.text, hit.highlights));
    const id = document.createElement('div');
    id.className = 'id';
    id.textContent = where(hit);
    li.append(head, text, id);
    results.append(li);
  }
}

function summary(body, noun) {
  return body.hits.length + ' ' + noun + ' (' + body.mode
    + (body.reranked_by ? ', top ' + body.rerank_depth + ' reranked by ' + body.reranked_by
      + (body.rerank_fusion ? ', fused with the first stage (' + body.rerank_fusion + ')' : '') : '')
    + ', ' + body.took_ms.toFixed(1) + ' ms)';
}

let current = 0; // the latest search: answers to older ones are dropped

async function search(query, mode, k) {
  const mine = ++current;
  const status = document.getElementById('status');
  const results = document.getElementById('results');
  status.className = '';
  status.textContent = 'Searching…';
  results.replaceChildren();
  const noun = server.noun;
  try {
    // With a reranker, the first stage comes back at once and is shown while the cross-encoder works.
    const first = await post({ query, k, mode, rerank: false });
    if (mine !== current) return;
    if (first.hits.length === 0) {
      status.textContent = 'No ' + noun + ' match “' + query + '”' + (mode === 'bm25' ? ' (BM25 needs a shared word; try hybrid or dense).' : '.');
      return;
    }
    render(first, results);
    if (!server.reranker) {
      status.textContent = summary(first, noun);
      return;
    }
    const started = performance.now();
    status.textContent = summary(first, noun) + ' — reranking with ' + server.reranker + '…';
    const tick = setInterval(() => {
      if (mine === current) {
        status.textContent = summary(first, noun) + ' — reranking with ' + server.reranker + '… ' + ((performance.now() - started) / 1000).toFixed(1) + ' s';
      }
    }, 200);
    try {
      const reranked = await post({ query, k, mode, rerank: true });
      if (mine !== current) return;
      render(reranked, results);
      status.textContent = summary(reranked, noun);
    } finally {
      clearInterval(tick);
    }
  } catch (e) {
    if (mine !== current) return;
    status.className = 'error';
    status.textContent = 'Search failed: ' + e.message;
  }
}

// The address holds the search (/?q=...&mode=...&k=...): it can be shared, reloaded, and the back button returns to it.
function fromAddress() {
  const p = new URLSearchParams(window.location.search);
  const q = (p.get('q') || '').trim();
  const form = { q: document.getElementById('q'), mode: document.getElementById('mode'), k: document.getElementById('k') };
  form.q.value = q;
  if (p.get('mode') && [...form.mode.options].some(o => o.value === p.get('mode'))) form.mode.value = p.get('mode');
  if (p.get('k') && [...form.k.options].some(o => o.value === p.get('k'))) form.k.value = p.get('k');
  if (q) {
    search(q, form.mode.value, Number(form.k.value));
  } else {
    current++;
    document.getElementById('status').textContent = '';
    document.getElementById('results').replaceChildren();
  }
}

document.getElementById('ask').addEventListener('submit', ev => {
  ev.preventDefault();
  const q = document.getElementById('q').value.trim();
  if (!q) return;
  const mode = document.getElementById('mode').value;
  const k = document.getElementById('k').value;
  history.pushState(null, '', '/?' + new URLSearchParams({ q, mode, k }).toString());
  search(q, mode, Number(k));
});
window.addEventListener('popstate', fromAddress);
describe().then(fromAddress);
