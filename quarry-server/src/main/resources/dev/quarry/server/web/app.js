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

function post(body) {
  const headers = { 'Content-Type': 'application/json' };
  const token = sessionStorage.getItem('quarry-token');
  if (token) headers.Authorization = 'Bearer ' + token;
  return fetch('/search', { method: 'POST', headers, body });
}

async function search(query) {
  const status = document.getElementById('status');
  const results = document.getElementById('results');
  status.className = '';
  status.textContent = 'Searching…';
  results.replaceChildren();
  try {
    const request = JSON.stringify({ query, k: Number(document.getElementById('k').value), mode: document.getElementById('mode').value });
    let res = await post(request);
    if (res.status === 401) {
      // A server on a public address wants its token for searches too: ask once, keep it for this tab.
      const token = window.prompt('This server needs its access token to search:');
      if (token) {
        sessionStorage.setItem('quarry-token', token.trim());
        res = await post(request);
      }
    }
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    status.textContent = body.hits.length + ' passages (' + body.mode
      + (body.reranked_by ? ', top ' + body.rerank_depth + ' reranked by ' + body.reranked_by : '')
      + ', ' + body.took_ms.toFixed(1) + ' ms)';
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
      id.textContent = hit.id;
      li.append(head, text, id);
      results.append(li);
    }
  } catch (e) {
    status.className = 'error';
    status.textContent = 'Search failed: ' + e.message;
  }
}

document.getElementById('ask').addEventListener('submit', ev => {
  ev.preventDefault();
  const q = document.getElementById('q').value.trim();
  if (q) search(q);
});
