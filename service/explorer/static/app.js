// The factledger explorer: a small single-page app over the JSON API (/api/v1/, docs/api.md).
// Routes (in the URL fragment): #/ search, #/claimant/<name>, #/claim/<id>[?as_of=N], #/log.
// No framework, no external requests; every piece of server data goes into the page as text
// (never as HTML). "Verify" on a claim page is in verify.js.
// verify.js (hashes, proofs, signatures) is loaded when first needed, off the first render's
// critical path; it is fetched as soon as the first page is shown.
let verifyModule = null;
function loadVerify() {
  if (!verifyModule) verifyModule = import('./verify.js');
  return verifyModule;
}

const PIN_KEY = 'factledger.pinnedVerifierKey';
const main = document.getElementById('main');

// ---- small helpers -------------------------------------------------------------------------

// h('a', {href: '#/'}, 'text', child...): an element; attributes set as properties or attributes.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.reason = body && body.reason;
  }
}

async function api(path, params) {
  const qs = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '')).toString() : '';
  const url = `/api/v1/${path}${qs ? '?' + qs : ''}`;
  // boot.js may have started this very request while the page was parsed: each is used once.
  const early = window.__early && window.__early[url];
  if (early) delete window.__early[url];
  const res = await (early || fetch(url, { headers: { Accept: 'application/json' } }));
  let body;
  try { body = await res.json(); } catch { body = null; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

const ATTRIBUTION = { DIRECT_QUOTE: 'Direct quote', PARTIAL_QUOTE: 'Partial quote', PARAPHRASE: 'Paraphrase' };

function saidDate(said) {
  if (!said || !said.year) return 'date not given';
  const p = [String(said.year).padStart(4, '0')];
  if (said.month) p.push(String(said.month).padStart(2, '0'));
  if (said.day) p.push(String(said.day).padStart(2, '0'));
  return p.join('-') + (said.asStated ? ` ("${said.asStated}")` : '');
}

function micros(t) {
  if (t === undefined || t === null || t === '0' || t === 0) return undefined;
  const ms = Number(BigInt(t) / 1000n);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function statusBadge(status) {
  const s = status || 'ACTIVE';
  return h('span', { class: `badge ${s}` }, s.toLowerCase());
}

function claimLink(id, asOf) {
  return `#/claim/${encodeURIComponent(id)}${asOf ? `?as_of=${asOf}` : ''}`;
}
const claimantLink = (name) => `#/claimant/${encodeURIComponent(name)}`;

function errorBox(err) {
  const reason = err.reason ? ` (${err.reason})` : '';
  return h('p', { class: 'error', role: 'alert' }, `Error${reason}: ${err.message}`);
}

function show(...nodes) {
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== '' && n !== null && n !== undefined && n !== false));
  const h1 = main.querySelector('h1');
  if (h1) { h1.setAttribute('tabindex', '-1'); }
}

function summaryItem(s, extra) {
  const c = s.claim || {};
  const claimant = (c.claimant && c.claimant.name) || '';
  return h('li', {},
    h('div', { class: 'meta' },
      statusBadge(s.status), ' ',
      claimant ? h('a', { href: claimantLink(claimant) }, claimant) : 'unknown claimant',
      ' · said ', saidDate(c.said),
      s.signerCompromised ? ' · signed by a compromised key' : ''),
    h('div', {}, h('a', { href: claimLink(s.claimId) },
      c.statement ? `“${c.statement.text}”` : s.claimId)),
    extra);
}

// ---- the verifier key pin ------------------------------------------------------------------

let serverLog = null;  // GetLogInfoResponse, fetched once

function pinnedKey() { return localStorage.getItem(PIN_KEY) || ''; }

function renderKeyBanner() {
  const banner = document.getElementById('key-banner');
  const note = document.getElementById('pinned-note');
  const pinned = pinnedKey();
  const served = serverLog ? serverLog.checkpointVerifierKey : '';
  note.replaceChildren(pinned ? h('span', {}, 'Pinned checkpoint key: ', h('code', {}, pinned)) : '');
  if (!pinned) {
    banner.className = 'banner info';
    banner.replaceChildren(
      h('p', {}, h('strong', {}, 'First visit: pin the log\'s checkpoint key. '),
        'Verify checks claims against a key you choose, not one the server hands out each time. ',
        'This server states its key is ', h('code', { id: 'served-key' }, served || '(unknown)'),
        '. Compare it with a copy from a source you trust, then pin it (or paste the trusted one) on the ',
        h('a', { href: '#/log' }, 'Log & key'), ' page.'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'pin-served', onclick: () => pin(served) }, 'Pin this key')));
    banner.hidden = false;
  } else if (served && pinned !== served) {
    banner.className = 'banner warn';
    banner.setAttribute('role', 'alert');
    banner.replaceChildren(h('p', { id: 'key-warning' },
      h('strong', {}, 'Warning: the checkpoint key changed. '),
      'This server now states the key ', h('code', {}, served), ', but you pinned ', h('code', {}, pinned),
      '. Verify keeps using your pinned key, so checks will fail until this is explained: a log ',
      'operator does not change its key silently. Review it on the ', h('a', { href: '#/log' }, 'Log & key'), ' page.'));
    banner.hidden = false;
  } else {
    banner.hidden = true;
    banner.removeAttribute('role');
    banner.replaceChildren();
  }
}

async function pin(key) {
  const status = document.getElementById('pin-status');
  try {
    const V = await loadVerify();
    await V.parseVerifierKey(key);
  } catch (e) {
    if (status) status.textContent = `Not pinned: ${e.message}`;
    return;
  }
  localStorage.setItem(PIN_KEY, key.trim());
  if (status) status.textContent = 'Pinned.';
  renderKeyBanner();
}

// ---- pages ---------------------------------------------------------------------------------

function field(id, label, attrs, hint) {
  return h('div', {},
    h('label', { for: id }, label, hint ? h('span', { class: 'hint' }, ` ${hint}`) : ''),
    h('input', Object.assign({ id, name: id }, attrs)));
}

async function searchPage(params) {
  const filters = [['', 'No filter'], ['claimant', 'Claimant'], ['topic', 'Topic'], ['entity', 'Entity'],
    ['source_url', 'Source URL'], ['publisher', 'Publisher'], ['status', 'Status (ACTIVE, CORRECTED, RETRACTED)']];
  const select = h('select', { id: 'filter', name: 'filter' },
    filters.map(([v, l]) => h('option', { value: v, selected: params.get('filter') === v }, l)));
  const form = h('form', { class: 'search', role: 'search', 'aria-label': 'Search claims' },
    h('div', { class: 'wide' }, h('label', { for: 'text' }, 'Statement text',
      h('span', { class: 'hint' }, ' finds claims like it (has this been checked?)')),
    h('input', { id: 'text', name: 'text', type: 'search', value: params.get('text') || '' })),
    h('div', {}, h('label', { for: 'filter' }, 'Filter by'), select),
    field('value', 'Filter value', { type: 'text', value: params.get('value') || '' }, 'e.g. Alexander Novak'),
    field('said_from', 'Said from', { type: 'text', inputmode: 'numeric', placeholder: 'YYYY-MM-DD',
      pattern: '\\d{4}(-\\d{2}(-\\d{2})?)?', value: params.get('said_from') || '' }, 'YYYY[-MM[-DD]]'),
    field('said_to', 'Said to', { type: 'text', inputmode: 'numeric', placeholder: 'YYYY-MM-DD',
      pattern: '\\d{4}(-\\d{2}(-\\d{2})?)?', value: params.get('said_to') || '' }, 'YYYY[-MM[-DD]]'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'search-button' }, 'Search')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const k of ['text', 'filter', 'value', 'said_from', 'said_to']) {
      const v = form.elements[k].value.trim();
      if (v) q.set(k, v);
    }
    location.hash = `#/?${q.toString()}`;
  });
  const results = h('section', { id: 'results', 'aria-live': 'polite', 'aria-label': 'Results' });
  show(h('h1', {}, 'Search claims'), form, results);

  const text = params.get('text') || '';
  const filter = params.get('filter') || '';
  const value = params.get('value') || '';
  const said = { said_from: params.get('said_from') || undefined, said_to: params.get('said_to') || undefined };
  try {
    if (text) {
      const q = Object.assign({ text, limit: 20 }, said);
      if (filter === 'claimant' || filter === 'topic') q[filter] = value;
      else if (filter && value) {
        results.append(h('p', { class: 'meta' }, 'Text search combines with a claimant or topic filter only; the filter was left out.'));
      }
      const r = await api('match', q);
      const matches = r.matches || [];
      results.append(h('h2', {}, matches.length ? `${matches.length} similar claim(s)` :
        `No claim scores ${r.minScore || 0.7} or more`));
      results.append(h('ol', { class: 'results' }, matches.map((m) => summaryItem(m.claim,
        h('div', { class: 'meta' }, `score ${Number(m.score).toFixed(3)}`,
          (m.verdicts || []).map((v) => ` · ${v.review.ratingText} (${v.review.reviewer})`))))));
      return;
    }
    const q = Object.assign({ page_size: 20, page_token: params.get('page_token') || undefined }, said);
    if (filter && value) q[filter] = filter === 'status' ? value.toUpperCase() : value;
    const r = await api('claims', q);
    const claims = r.claims || [];
    results.append(h('h2', {}, filter && value ? `Claims with ${filter.replace('_', ' ')} “${value}”` : 'All claims, by date said'));
    results.append(claims.length ? h('ol', { class: 'results' }, claims.map((s) => summaryItem(s)))
      : h('p', {}, 'No claims.'));
    if (r.nextPageToken) {
      const next = new URLSearchParams(params);
      next.set('page_token', r.nextPageToken);
      results.append(h('p', {}, h('a', { href: `#/?${next.toString()}`, id: 'next-page' }, 'Next page')));
    }
    results.append(h('p', { class: 'meta' }, `Read at log size ${r.readPoint ? r.readPoint.asOfSize : '?'}.`));
  } catch (e) {
    results.append(errorBox(e));
  }
}

async function claimantPage(name) {
  show(h('h1', {}, name), h('p', {}, 'Loading…'));
  try {
    const [list, tally] = await Promise.all([
      api('claims', { claimant: name, page_size: 1000 }),
      api('tally', { claimant: name }),
    ]);
    const claims = list.claims || [];
    const byYear = new Map();
    for (const s of claims) {
      const y = (s.claim && s.claim.said && s.claim.said.year) || 'Date not given';
      if (!byYear.has(y)) byYear.set(y, []);
      byYear.get(y).push(s);
    }
    const role = claims.length && claims[0].claim.claimant ? claims[0].claim.claimant.role : '';
    const counts = tally.counts || [];
    show(
      h('h1', {}, name),
      role ? h('p', { class: 'meta' }, `Role as attributed: ${role}`) : '',
      h('h2', { id: 'tally-heading' }, 'Verdicts'),
      counts.length ? h('div', { class: 'table-wrap' }, h('table', { 'aria-labelledby': 'tally-heading' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Reviewer'), h('th', { scope: 'col' }, 'Rating'),
          h('th', { scope: 'col' }, 'Count'))),
        h('tbody', {}, counts.map((c) => h('tr', {}, h('td', {}, c.reviewer), h('td', {}, c.ratingText),
          h('td', {}, `${c.count}${c.compromised && c.compromised !== '0' ? ` (${c.compromised} by a compromised key)` : ''}`))))))
        : h('p', {}, 'No verdicts yet.'),
      h('h2', {}, `Timeline (${claims.length} statement${claims.length === 1 ? '' : 's'}, by date said)`),
      [...byYear.entries()].map(([y, items]) => [h('h3', {}, String(y)),
        h('ol', { class: 'timeline' }, items.map((s) => h('li', {},
          h('div', { class: 'meta' }, saidDate(s.claim.said), ' · ', statusBadge(s.status)),
          h('a', { href: claimLink(s.claimId) }, `“${s.claim.statement.text}”`))))]),
      list.nextPageToken ? h('p', { class: 'meta' }, 'More statements than one page shows.') : '');
  } catch (e) {
    show(h('h1', {}, name), errorBox(e));
  }
}

// A link to an outside URL (a source, an archive, a review) only for http(s); anything else
// (the ledger refuses other schemes, but never trust that here) is shown as text.
function outLink(url, text) {
  return /^https?:\/\//i.test(url || '') ? h('a', { href: url, rel: 'noopener noreferrer' }, text || url) : (text || url || '');
}

function sourceBlock(src) {
  if (!src) return '';
  return h('dl', { class: 'facts' },
    h('dt', {}, 'URL'), h('dd', {}, outLink(src.url)),
    src.title ? [h('dt', {}, 'Title'), h('dd', {}, src.title)] : '',
    src.publisher ? [h('dt', {}, 'Publisher'), h('dd', {}, src.publisher)] : '',
    src.archiveUrl ? [h('dt', {}, 'Archive'), h('dd', {}, outLink(src.archiveUrl))] : '',
    src.quote && src.quote.exact ? [h('dt', {}, 'Quoted text'), h('dd', {}, `“${src.quote.exact}”`)] : '');
}

async function claimPage(id, params) {
  const asOf = params.get('as_of') || '';
  show(h('h1', {}, 'Claim'), h('p', {}, 'Loading…'));
  let r;
  try {
    r = await api(`claims/${encodeURIComponent(id)}`, asOf ? { 'as_of.sequence': asOf } : undefined);
  } catch (e) {
    show(h('h1', {}, `Claim ${id}`), errorBox(e));
    return;
  }
  const d = r.claim;
  const c = d.claim || {};
  const claimant = c.claimant || {};
  const st = c.statement || {};
  const src = c.source || {};
  const history = d.history || [];
  const assert = history.find((x) => x.kind === 'claim_asserted');
  const version = history.find((x) => String(x.sequence) === String(d.versionSequence));
  const corrections = history.filter((x) => x.kind === 'claim_corrected');
  const retraction = history.find((x) => x.kind === 'claim_retracted');
  const verdicts = d.verdicts || [];
  const appearances = d.appearances || [];
  const relations = d.relations || [];

  const asOfForm = h('form', { class: 'actions', id: 'as-of-form' },
    h('div', {}, h('label', { for: 'as-of' }, 'Show as of log sequence',
      h('span', { class: 'hint' }, ' (empty: latest)')),
    h('input', { id: 'as-of', name: 'as-of', type: 'number', min: '0', value: asOf })),
    h('button', { type: 'submit' }, 'Show'));
  asOfForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = claimLink(id, asOfForm.elements['as-of'].value.trim());
  });

  const clocks = h('dl', { class: 'facts', id: 'clocks' },
    h('dt', {}, 'Said'), h('dd', {}, saidDate(c.said)),
    h('dt', {}, 'Published'), h('dd', {}, micros(src.publishedTimeMicros) || 'not given'),
    h('dt', {}, 'Retrieved'), h('dd', {}, micros(src.retrievedTimeMicros) || 'not given'),
    h('dt', {}, 'Recorded in the log'), h('dd', {}, assert ? `${micros(assert.recordedTimeMicros)} (entry ${assert.sequence})` : '?',
      version && version !== assert ? `; this version ${micros(version.recordedTimeMicros)} (entry ${version.sequence})` : ''));

  const verifyButton = h('button', { type: 'button', id: 'verify-button' }, 'Verify');
  const verifyStatus = h('span', { id: 'verify-status', role: 'status', 'aria-live': 'polite', 'data-state': 'idle' }, 'Not verified yet');
  const verifySteps = h('ul', { class: 'steps', id: 'verify-steps' });
  verifyButton.addEventListener('click', () => runVerify(d, verifyButton, verifyStatus, verifySteps));

  show(
    h('h1', {}, `${claimant.name || 'Unknown claimant'} said`),
    h('p', { class: 'meta' }, statusBadge(d.status), ` claim ${d.claimId} · version at entry ${d.versionSequence}`,
      r.readPoint ? ` · as of log size ${r.readPoint.asOfSize}` : '',
      d.signerCompromised ? ' · signed by a key while compromised' : ''),
    h('blockquote', { class: 'statement', id: 'statement', lang: st.language || undefined }, st.text),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Claimant'), h('dd', {}, h('a', { href: claimantLink(claimant.name || '') }, claimant.name || '?'),
        claimant.role ? `, ${claimant.role}` : '', claimant.affiliation ? ` (${claimant.affiliation})` : ''),
      h('dt', {}, 'Attribution'), h('dd', {}, ATTRIBUTION[st.attribution] || 'not given'),
      (c.topics || []).length ? [h('dt', {}, 'Topics'), h('dd', {}, (c.topics || []).join(', '))] : '',
      (c.entities || []).length ? [h('dt', {}, 'Entities'), h('dd', {}, (c.entities || []).map((e) => e.name).join(', '))] : ''),
    h('section', { class: 'verify', 'aria-labelledby': 'verify-heading' },
      h('h2', { id: 'verify-heading' }, 'Verify in this browser'),
      h('p', {}, 'Fetches this claim\'s log entries, their inclusion proofs, their signers\' keys and the latest checkpoint; recomputes every hash here, checks the events\' signatures, and the checkpoint\'s signature against your pinned key.'),
      h('div', { class: 'actions' }, verifyButton, verifyStatus), verifySteps),
    h('h2', {}, `Verdicts (${verdicts.length})`),
    verdicts.length ? h('ul', {}, verdicts.map((v) => h('li', {}, h('strong', {}, v.review.ratingText || '?'),
      ` by ${v.review.reviewer || '?'}`, v.review.reviewUrl ? [' · ', outLink(v.review.reviewUrl, 'review')] : '',
      v.review.explanation ? ` — ${v.review.explanation}` : '', ` (entry ${v.sequence})`,
      v.signerCompromised ? ' — signed by a compromised key' : ''))) : h('p', {}, 'None.'),
    h('h2', {}, 'The four clocks'), clocks,
    h('h2', {}, 'Source'), sourceBlock(src),
    h('h2', {}, `Corrections (${corrections.length})`),
    corrections.length ? h('ul', {}, corrections.map((x) => h('li', {}, `Entry ${x.sequence}, ${micros(x.recordedTimeMicros)}: ${x.reason || '(no reason given)'} `,
      h('a', { href: claimLink(id, Number(x.sequence) - 1) }, 'before this correction')))) : h('p', {}, 'None.'),
    h('h2', {}, 'Retraction'),
    retraction ? h('p', {}, `Retracted at entry ${retraction.sequence}, ${micros(retraction.recordedTimeMicros)}: ${retraction.reason || '(no reason given)'}`) : h('p', {}, 'Not retracted.'),
    h('h2', {}, `Appearances (${appearances.length})`),
    appearances.length ? [h('p', { class: 'meta' }, `${d.independentPublishers || 0} independent publisher(s).`),
      h('ul', {}, appearances.map((a) => h('li', {}, outLink(a.appearance.source.url),
        a.appearance.source.publisher ? ` (${a.appearance.source.publisher})` : '',
        a.appearance.repeatedBy ? ` — ${a.appearance.repeatedBy}` : '', ` (entry ${a.sequence})`)))] : h('p', {}, 'Not seen elsewhere.'),
    relations.length ? [h('h2', {}, `Relations (${relations.length})`), h('ul', {}, relations.map((x) => h('li', {},
      h('a', { href: claimLink(x.relation.claimId) }, x.relation.claimId), ` ${String(x.relation.relation || '').toLowerCase().replace('_', ' ')} `,
      h('a', { href: claimLink(x.relation.relatedClaimId) }, x.relation.relatedClaimId),
      x.relation.reviewer ? ` (by ${x.relation.reviewer})` : '', ` (entry ${x.sequence})`)))] : '',
    h('h2', { id: 'history-heading' }, 'History'), asOfForm,
    h('div', { class: 'table-wrap' }, h('table', { 'aria-labelledby': 'history-heading' },
      h('thead', {}, h('tr', {}, ['Entry', 'Recorded', 'Event', 'Reason', 'View'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, history.map((x) => h('tr', {}, h('td', {}, x.sequence), h('td', {}, micros(x.recordedTimeMicros)),
        h('td', {}, `${x.kind.replace('claim_', '')} `, h('span', { class: 'mono' }, x.eventId)), h('td', {}, x.reason || ''),
        h('td', {}, h('a', { href: claimLink(id, x.sequence) }, 'as of this entry'))))))));
}

// ---- Verify --------------------------------------------------------------------------------

// Checks, in this browser, that everything the claim page shows comes from log entries that
// are in the tree of a checkpoint signed by the pinned key.
async function runVerify(d, button, status, steps) {
  button.disabled = true;
  status.dataset.state = 'running';
  status.textContent = 'Verifying…';
  steps.replaceChildren();
  const step = (ok, text) => steps.append(h('li', { class: ok ? 'ok' : 'bad' }, text));
  try {
    const V = await loadVerify();
    const pinned = pinnedKey();
    if (!pinned) throw new V.VerifyError('no checkpoint key is pinned: pin one on the Log & key page first');
    const verifier = await V.parseVerifierKey(pinned);
    const cp = await api('checkpoint');
    const head = await V.verifyCheckpoint(cp.checkpoint, verifier);
    step(true, `Checkpoint of ${head.size} entries is signed by the pinned key ${verifier.name}+${V.hex(verifier.keyHash)}; root ${V.hex(head.root).slice(0, 16)}…`);

    // Every entry the page shows: the history, verdicts, appearances and relations.
    const shown = new Map();
    const add = (x, kind) => shown.set(String(x.sequence), { sequence: BigInt(x.sequence), eventId: x.eventId,
      recorded: BigInt(x.recordedTimeMicros || 0), kind });
    for (const x of d.history || []) add(x, x.kind);
    for (const x of d.verdicts || []) add(x, 'claim_reviewed');
    for (const x of d.appearances || []) add(x, 'claim_appeared');
    for (const x of d.relations || []) add(x, 'claim_related');

    // Signer keys by key id: the server says which public key a key id names, and the key id
    // (in the signed leaf) is the hash of that key, so the answer is checked, not trusted.
    const keys = new Map();
    const signerKey = (keyId) => {
      const idHex = V.hex(keyId);
      if (!keys.has(idHex)) {
        keys.set(idHex, api(`keys/${idHex}`).then(async (k) => {
          const pub = V.b64ToBytes(k.publicKey || '');
          if (!V.equalBytes(await V.keyIdOf(pub), keyId)) throw new V.VerifyError(`key ${idHex.slice(0, 16)}…: the served public key does not hash to this key id`);
          return { pub, holder: k.holder || '' };
        }));
      }
      return keys.get(idHex);
    };
    let batchSigned = 0;
    const checked = await Promise.all([...shown.values()].map(async (x) => {
      if (x.sequence >= head.size) throw new V.VerifyError(`entry ${x.sequence} is beyond the checkpoint's ${head.size} entries`);
      const [e, p] = await Promise.all([api(`entries/${x.sequence}`),
        api('proofs/inclusion', { sequence: String(x.sequence), tree_size: String(head.size) })]);
      const leafData = V.b64ToBytes(e.entry.leafData);
      const leaf = V.parseLeafData(leafData);
      if (leaf.eventId !== x.eventId) throw new V.VerifyError(`entry ${x.sequence}: holds event ${leaf.eventId}, the page shows ${x.eventId}`);
      if (leaf.recordedTimeMicros !== x.recorded) throw new V.VerifyError(`entry ${x.sequence}: recorded at ${leaf.recordedTimeMicros}, the page shows ${x.recorded}`);
      const ev = V.readEvent(leaf.event);
      if (ev.kind !== x.kind) throw new V.VerifyError(`entry ${x.sequence}: is a ${ev.kind}, the page shows a ${x.kind}`);
      const about = ev.kind === 'claim_asserted' ? leaf.eventId : ev.claimId;
      if (x.kind !== 'claim_related' && about !== d.claimId) throw new V.VerifyError(`entry ${x.sequence}: is about claim ${about}, not ${d.claimId}`);
      const hash = await V.leafHash(leafData);
      const proof = (p.hashes || []).map(V.b64ToBytes);
      if (!(await V.verifyInclusion(x.sequence, head.size, hash, proof, head.root))) {
        throw new V.VerifyError(`entry ${x.sequence}: its inclusion proof does not lead to the checkpoint's root`);
      }
      const key = await signerKey(leaf.keyId);
      if (!(await V.verifyEventSignature(leaf, head.origin, key.pub))) {
        throw new V.VerifyError(`entry ${x.sequence}: the event's Ed25519 signature does not verify`);
      }
      if (leaf.kind === 2) batchSigned++;
      return { x, ev };
    }));
    step(true, `${checked.length} entr${checked.length === 1 ? 'y' : 'ies'} (${[...shown.keys()].join(', ')}): leaf hashes recomputed, each included in the checkpoint's tree, event ids, kinds and times as shown`);
    const holders = [...new Set((await Promise.all([...keys.values()])).map((k) => k.holder || 'unnamed key'))];
    step(true, `Event signatures verified (Ed25519, signed for ${head.origin}) by ${holders.join(', ') || 'no key'}` +
      (batchSigned ? ` (${batchSigned} of them signed as part of a batch)` : ''));

    const version = checked.find((c) => String(c.x.sequence) === String(d.versionSequence));
    if (!version) throw new V.VerifyError(`the current version's entry ${d.versionSequence} is not among the claim's entries`);
    const c = d.claim || {};
    if (version.ev.statementText !== ((c.statement && c.statement.text) || '')) throw new V.VerifyError(`the statement shown differs from the signed entry ${d.versionSequence}`);
    if (version.ev.claimantName !== ((c.claimant && c.claimant.name) || '')) throw new V.VerifyError(`the claimant shown differs from the signed entry ${d.versionSequence}`);
    for (const v of d.verdicts || []) {
      const got = checked.find((k) => k.x.sequence === BigInt(v.sequence));
      if (!got || got.ev.ratingText !== (v.review.ratingText || '')) throw new V.VerifyError(`verdict at entry ${v.sequence}: rating differs from the signed entry`);
    }
    step(true, `Statement, claimant and verdict ratings shown are those of the signed entries`);
    status.dataset.state = 'verified';
    status.textContent = 'Verified';
  } catch (e) {
    step(false, e.message);
    status.dataset.state = 'failed';
    status.textContent = 'Verification failed';
  } finally {
    button.disabled = false;
  }
}

// ---- the log page --------------------------------------------------------------------------

async function logPage() {
  show(h('h1', {}, 'The log'), h('p', {}, 'Loading…'));
  try {
    const [info, cp, V] = await Promise.all([api('log'), api('checkpoint'), loadVerify()]);
    serverLog = info;
    const size = BigInt(cp.treeSize || 0);
    const start = size > 20n ? size - 20n : 0n;
    const entries = size > 0n ? (await api('entries', { start_sequence: String(start), max_entries: 20 })).entries || [] : [];
    const keyInput = h('textarea', { id: 'pin-input', rows: 2 }, pinnedKey() || info.checkpointVerifierKey);
    const pinForm = h('form', { id: 'pin-form' },
      h('label', { for: 'pin-input' }, 'Checkpoint verifier key to pin',
        h('span', { class: 'hint' }, ' (<origin>+<key hash>+<key>)')), keyInput,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'pin-button' }, 'Pin this key'),
        h('button', { type: 'button', class: 'secondary', id: 'unpin-button',
          onclick: () => { localStorage.removeItem(PIN_KEY); renderKeyBanner(); document.getElementById('pin-status').textContent = 'Unpinned.'; } }, 'Forget pinned key'),
        h('span', { id: 'pin-status', role: 'status' })));
    pinForm.addEventListener('submit', (ev) => { ev.preventDefault(); pin(keyInput.value); });
    show(
      h('h1', {}, 'The log'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Origin'), h('dd', {}, info.origin),
        h('dt', {}, 'Size'), h('dd', { id: 'log-size' }, `${cp.treeSize || 0} entries`),
        h('dt', {}, 'Root hash'), h('dd', { class: 'mono' }, cp.rootHash ? V.hex(V.b64ToBytes(cp.rootHash)) : ''),
        h('dt', {}, 'Key the server states'), h('dd', { class: 'mono' }, info.checkpointVerifierKey),
        h('dt', {}, 'Your pinned key'), h('dd', { class: 'mono' }, pinnedKey() || 'none')),
      h('h2', {}, 'Latest checkpoint'),
      h('pre', { class: 'note', id: 'checkpoint-note' }, cp.checkpoint),
      h('h2', {}, 'Pin the checkpoint key'),
      h('p', {}, 'Verify trusts only this key. Take it from a source other than this server when you can (the log operator\'s published key).'),
      pinForm,
      h('h2', { id: 'entries-heading' }, 'Latest entries'),
      h('div', { class: 'table-wrap' }, h('table', { 'aria-labelledby': 'entries-heading' },
        h('thead', {}, h('tr', {}, ['Entry', 'Recorded', 'Kind', 'Event id'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, entries.slice().reverse().map((e) => {
          let kind = '?', about = '';
          try {
            const leaf = V.parseLeafData(V.b64ToBytes(e.leafData));
            const ev = V.readEvent(leaf.event);
            kind = ev.kind.replace('claim_', '');
            about = ev.kind === 'claim_asserted' ? leaf.eventId : ev.claimId;
          } catch { /* shown as '?' */ }
          const id = e.signedEvent ? e.signedEvent.eventId : '';
          return h('tr', {}, h('td', {}, e.sequence || '0'), h('td', {}, micros(e.recordedTimeMicros)), h('td', {}, kind),
            h('td', {}, about ? h('a', { href: claimLink(about) }, id) : id));
        })))));
    renderKeyBanner();
  } catch (e) {
    show(h('h1', {}, 'The log'), errorBox(e));
  }
}

// ---- router --------------------------------------------------------------------------------

let routeChanged = false;
async function route() {
  const hash = location.hash || '#/';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'claim' && parts[1]) await claimPage(parts[1], params);
  else if (parts[0] === 'claimant' && parts[1]) await claimantPage(parts[1]);
  else if (parts[0] === 'log') await logPage();
  else await searchPage(params);
  document.title = `${(main.querySelector('h1') || {}).textContent || 'Explorer'} — factledger explorer`;
  if (routeChanged) { const h1 = main.querySelector('h1'); if (h1) h1.focus(); }
  routeChanged = true;
  if (window.__renderedAt === undefined) {
    window.__renderedAt = performance.now();  // for bench/
    setTimeout(loadVerify, 0);
  }
  document.body.dataset.ready = hash;
}

window.addEventListener('hashchange', route);
// The page's own data first; the server's key (for the pin banner) in parallel, not before it.
api('log').then((info) => { serverLog = info; }, () => { serverLog = null; }).then(renderKeyBanner);
route();
