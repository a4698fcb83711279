// Skiff web UI: plain JavaScript on the node's own API (API.md §2–3), same origin, no
// dependencies. Three views: the cluster (GET /v1/status, GET /v1/cluster/members), a key
// browser (GET /v1/kv/?prefix=, GET/PUT/DELETE /v1/kv/{key} with CAS on modifyIndex) and
// snapshots (POST and GET /v1/snapshot).
'use strict';

const REFRESH_MS = 2000;
const PAGE = 200;             // keys per listing request (the listing carries the values too)
const HEX_SHOWN = 64 * 1024;  // bytes shown in the hex view; the rest is downloadable

const $ = (id) => document.getElementById(id);
const state = {
  status: null,
  prefix: '',
  items: [],          // the listing of state.prefix loaded so far: {key, value (base64), modifyIndex}
  more: false,
  selected: null,     // {key, bytes (Uint8Array), modifyIndex}
  format: 'text',
  editing: false,
  timer: null,
};

// ---- API ------------------------------------------------------------------------------

/** The API path of a key: each segment percent-encoded, the slashes kept. */
function kvPath(key) {
  return '/v1/kv/' + key.split('/').map(encodeURIComponent).join('/');
}

/** An API error as a sentence: the server's message and code, or the HTTP status. */
async function failure(response) {
  let text = response.status + ' ' + response.statusText;
  try {
    const body = await response.json();
    if (body && body.error) {
      text = body.error + ' (' + (body.code || response.status) + ')';
      if (response.status === 503) {
        text += ' — the cluster has no leader right now; try again in a moment';
      } else if (response.status === 401) {
        // The server's message is written for API clients (headers, SKIFF_TOKEN); say it for this page.
        text = token() ? 'The ACL token entered above is not valid here (401)'
            : 'This cluster has ACLs on: enter a token in "ACL token" above (401)';
      } else if (response.status === 403) {
        text += ' — the ACL token entered above does not allow this';
      }
    }
  } catch (ignored) {
    // not JSON: keep the status line
  }
  const e = new Error(text);
  e.status = response.status;
  return e;
}

/**
 * The ACL token the user entered, or ''. Kept in sessionStorage: it lasts as long as the tab,
 * never goes into a URL, and is sent only to this origin.
 */
const TOKEN_KEY = 'skiff.token';

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

async function api(method, path, body) {
  const headers = token() ? {'X-Skiff-Token': token()} : {};
  const response = await fetch(path, {method, body, headers, cache: 'no-store'});
  if (!response.ok) {
    throw await failure(response);
  }
  return response;
}

async function apiJson(method, path, body) {
  return (await api(method, path, body)).json();
}

// ---- messages -------------------------------------------------------------------------

function say(text, kind) {
  const m = $('message');
  m.textContent = text;
  m.className = 'message ' + (kind || '');
  m.hidden = !text;
}

// ---- tabs -----------------------------------------------------------------------------

const TABS = ['cluster', 'keys', 'snapshots'];

function showTab(name, focus) {
  for (const t of TABS) {
    const tab = $('tab-' + t);
    const selected = t === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $('panel-' + t).hidden = !selected;
    if (selected && focus) {
      tab.focus();
    }
  }
  if (location.hash !== '#' + name) {
    history.replaceState(null, '', '#' + name);
  }
  if (name === 'keys' && state.items.length === 0) {
    listKeys(state.prefix);
  }
}

function setUpTabs() {
  for (const t of TABS) {
    $('tab-' + t).addEventListener('click', () => showTab(t, false));
  }
  $('tabs').addEventListener('keydown', (e) => {
    const current = TABS.findIndex((t) => $('tab-' + t).getAttribute('aria-selected') === 'true');
    let next = -1;
    if (e.key === 'ArrowRight') next = (current + 1) % TABS.length;
    if (e.key === 'ArrowLeft') next = (current + TABS.length - 1) % TABS.length;
    if (e.key === 'Home') next = 0;
    if (e.key === 'End') next = TABS.length - 1;
    if (next >= 0) {
      e.preventDefault();
      showTab(TABS[next], true);
    }
  });
  const initial = location.hash.slice(1);
  showTab(TABS.includes(initial) ? initial : 'cluster', false);
  // A link or a typed URL that changes only the #fragment does not reload the page.
  window.addEventListener('hashchange', () => {
    const wanted = location.hash.slice(1);
    if (TABS.includes(wanted)) showTab(wanted, false);
  });
}

// ---- cluster view ---------------------------------------------------------------------

function text(id, value) {
  $(id).textContent = value === undefined || value === null ? '—' : String(value);
}

function cell(row, value, className) {
  const td = document.createElement('td');
  if (value instanceof Node) {
    td.appendChild(value);
  } else {
    td.textContent = value === undefined || value === null ? '—' : String(value);
  }
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function uiLink(apiAddress) {
  if (!apiAddress) return '—';
  const a = document.createElement('a');
  a.href = location.protocol + '//' + apiAddress + '/ui/';
  a.textContent = apiAddress;
  return a;
}

function badge(label, kind) {
  const span = document.createElement('span');
  span.className = 'badge ' + kind;
  span.textContent = label;
  return span;
}

function millis(ms) {
  if (ms === undefined || ms === null) return '—';
  return ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s';
}

async function refreshCluster() {
  let status;
  let members;
  try {
    [status, members] = await Promise.all([
      apiJson('GET', '/v1/status'),
      apiJson('GET', '/v1/cluster/members'),
    ]);
  } catch (e) {
    $('node-line').textContent = e.status === 401 || e.status === 403 ? e.message : 'This node does not answer: ' + e.message;
    return;
  }
  state.status = status;
  const leader = status.leader ? status.leader.id : null;
  $('node-line').textContent = 'Node ' + status.id + ' · ' + status.state + ' · term ' + status.term
      + (leader ? ' · leader ' + leader : ' · no leader known');
  document.title = 'Skiff · ' + status.id + ' (' + status.state + ')';
  text('leader-id', leader || 'none known');
  text('term', status.term);
  text('commit-index', status.commit_index);
  text('applied-index', status.applied_index);
  text('last-log-index', status.last_log_index);
  text('last-snapshot', status.last_snapshot_index + ' (term ' + status.last_snapshot_term + ')');
  text('last-contact', status.state === 'leader' ? 'is the leader' : status.last_contact);
  text('snapshot-latest', status.last_snapshot_index > 0
      ? 'index ' + status.last_snapshot_index + ', term ' + status.last_snapshot_term : 'none yet');

  const followers = new Map((status.followers || []).map((f) => [f.id, f]));
  const isLeader = status.state === 'leader';
  const note = $('lag-note');
  if (isLeader) {
    note.hidden = true;
  } else {
    note.hidden = false;
    note.textContent = 'Replication lag is known to the leader only. ';
    if (status.leader && status.leader.apiAddress) {
      note.appendChild(document.createTextNode('See it in '));
      const link = uiLink(status.leader.apiAddress);
      link.textContent = 'the leader\u2019s UI (' + status.leader.id + ')';
      note.appendChild(link);
      note.appendChild(document.createTextNode('.'));
    }
  }
  const tbody = $('members').tBodies[0];
  tbody.replaceChildren();
  for (const m of members.members) {
    const row = document.createElement('tr');
    row.dataset.memberId = m.id;
    const f = followers.get(m.id);
    const role = m.id === leader ? 'leader' : (m.suffrage === 'voter' ? 'follower' : 'non-voter');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = m.id + (m.id === status.id ? ' (this node)' : '');
    row.appendChild(th);
    cell(row, role, m.id === leader ? 'role-leader' : '');
    cell(row, m.suffrage);
    cell(row, uiLink(m.apiAddress));
    cell(row, m.raftAddress);
    if (m.id === leader && isLeader) {
      cell(row, status.last_log_index, 'num');
      cell(row, 0, 'num');
      cell(row, '—', 'num');
    } else if (f) {
      cell(row, f.matchIndex, 'num');
      cell(row, f.lag, 'num').appendChild(document.createTextNode(f.lag > 1000 ? ' \u26a0' : ''));
      cell(row, millis(f.lastContactMillis), 'num');
    } else {
      cell(row, '—', 'num');
      cell(row, '—', 'num');
      cell(row, '—', 'num');
    }
    tbody.appendChild(row);
  }

  const storage = $('storage');
  storage.replaceChildren();
  const components = Object.entries(status.storage || {});
  if (components.length === 0) {
    const li = document.createElement('li');
    li.appendChild(badge('ok', 'ok'));
    li.appendChild(document.createTextNode(' no storage failure reported (log, snapshots, discovery)'));
    storage.appendChild(li);
  }
  for (const [component, health] of components) {
    const li = document.createElement('li');
    li.appendChild(document.createTextNode(component + ': '));
    li.appendChild(badge(health === 'ok' ? 'ok' : 'failing', health === 'ok' ? 'ok' : 'bad'));
    if (health !== 'ok') li.appendChild(document.createTextNode(' ' + health));
    storage.appendChild(li);
  }
}

// ---- key browser ----------------------------------------------------------------------

function base64ToBytes(b64) {
  const bin = atob(b64 || '');
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The bytes as UTF-8 text, or null if they are not valid UTF-8. */
function asText(bytes) {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes);
  } catch (e) {
    return null;
  }
}

function hexDump(bytes) {
  const lines = [];
  const n = Math.min(bytes.length, HEX_SHOWN);
  for (let off = 0; off < n; off += 16) {
    const chunk = bytes.subarray(off, Math.min(off + 16, n));
    const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(off.toString(16).padStart(8, '0') + '  ' + hex.padEnd(47) + '  ' + ascii);
  }
  if (bytes.length > n) lines.push('… first ' + n + ' of ' + bytes.length + ' bytes shown; download the value for all of it');
  return lines.join('\n');
}

/** Hex pairs for editing: 16 bytes a line, nothing else. */
function hexPairs(bytes) {
  const lines = [];
  for (let off = 0; off < bytes.length; off += 16) {
    lines.push(Array.from(bytes.subarray(off, off + 16), (b) => b.toString(16).padStart(2, '0')).join(' '));
  }
  return lines.join('\n');
}

function parseHex(s) {
  const clean = s.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) {
    throw new Error('the hex value must be pairs of hex digits (0-9, a-f), spaces and line breaks allowed');
  }
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.substr(i * 2, 2), 16);
  return bytes;
}

async function listKeys(prefix, after) {
  state.prefix = prefix;
  $('prefix').value = prefix;
  if (!after) {
    state.items = [];
  }
  const query = new URLSearchParams();
  if (prefix) query.set('prefix', prefix);
  query.set('limit', String(PAGE));
  if (after) query.set('after', after);
  $('tree-status').textContent = 'Loading…';
  try {
    const page = await apiJson('GET', '/v1/kv/?' + query.toString());
    state.items = state.items.concat(page.items);
    state.more = page.more;
  } catch (e) {
    $('tree-status').textContent = '';
    say('Could not list keys: ' + e.message, 'error');
    return;
  }
  renderTree();
}

/** The listing grouped one level below the prefix: folders (next "/"-segment) and keys. */
function renderTree() {
  const prefix = state.prefix;
  const crumbs = $('crumbs');
  crumbs.replaceChildren();
  const parts = prefix.split('/');
  let acc = '';
  const rootLi = document.createElement('li');
  const root = document.createElement('button');
  root.type = 'button';
  root.textContent = '(all keys)';
  root.addEventListener('click', () => listKeys(''));
  rootLi.appendChild(root);
  crumbs.appendChild(rootLi);
  for (let i = 0; i < parts.length - 1; i++) {
    acc += parts[i] + '/';
    const target = acc;
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = parts[i] + '/';
    b.addEventListener('click', () => listKeys(target));
    li.appendChild(b);
    crumbs.appendChild(li);
  }

  const folders = new Map();
  const keys = [];
  for (const item of state.items) {
    const rest = item.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash >= 0 && slash < rest.length - 1) {
      const folder = prefix + rest.slice(0, slash + 1);
      folders.set(folder, (folders.get(folder) || 0) + 1);
    } else {
      keys.push(item);
    }
  }
  const tree = $('tree');
  tree.replaceChildren();
  for (const [folder, count] of folders) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'folder';
    b.dataset.folder = folder;
    const counted = count + (state.more ? '+' : '') + (count === 1 ? ' key' : ' keys');
    b.setAttribute('aria-label', 'folder ' + folder + ', ' + counted);
    const name = document.createElement('span');
    name.textContent = folder.slice(prefix.length);
    const c = document.createElement('span');
    c.className = 'count';
    c.textContent = counted;
    b.append(name, c);
    b.addEventListener('click', () => listKeys(folder));
    li.appendChild(b);
    tree.appendChild(li);
  }
  for (const item of keys) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.key = item.key;
    b.textContent = item.key.slice(prefix.length) || item.key;
    b.title = item.key;
    if (state.selected && state.selected.key === item.key) b.setAttribute('aria-current', 'true');
    b.addEventListener('click', () => openKey(item.key));
    li.appendChild(b);
    tree.appendChild(li);
  }
  $('tree-status').textContent = state.items.length === 0
      ? 'No keys' + (prefix ? ' under ' + prefix : '') + '.'
      : state.items.length + (state.more ? '+' : '') + (state.items.length === 1 ? ' key' : ' keys') + ' under '
        + (prefix || 'the root') + '.';
  $('more').hidden = !state.more;
}

async function openKey(key) {
  let response;
  try {
    response = await api('GET', kvPath(key));
  } catch (e) {
    if (e.status === 404) {
      say('Key ' + key + ' no longer exists.', 'error');
      listKeys(state.prefix);
    } else {
      say('Could not read ' + key + ': ' + e.message, 'error');
    }
    return;
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  state.selected = {key, bytes, modifyIndex: Number(response.headers.get('X-Skiff-Modify-Index'))};
  state.format = asText(bytes) === null ? 'hex' : 'text';
  setEditing(false);
  renderValue();
  for (const b of $('tree').querySelectorAll('button[data-key]')) {
    if (b.dataset.key === key) {
      b.setAttribute('aria-current', 'true');
    } else {
      b.removeAttribute('aria-current');
    }
  }
}

function renderValue() {
  const s = state.selected;
  $('value-empty').hidden = s !== null;
  $('value-view').hidden = s === null;
  if (!s) return;
  $('value-key').textContent = s.key;
  $('value-modify').textContent = String(s.modifyIndex);
  $('value-size').textContent = String(s.bytes.length);
  for (const radio of document.querySelectorAll('input[name=format]')) {
    radio.checked = radio.value === state.format;
  }
  const decoded = asText(s.bytes);
  if (state.format === 'text') {
    $('value-text').textContent = decoded === null ? '(not valid UTF-8: shown as hex)\n' + hexDump(s.bytes) : decoded;
  } else {
    $('value-text').textContent = hexDump(s.bytes);
  }
  const link = $('download-value');
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([s.bytes], {type: 'application/octet-stream'}));
  link.download = s.key.split('/').pop() || 'value';
}

function setEditing(on) {
  state.editing = on;
  $('edit-form').hidden = !on;
  $('edit-btn').disabled = on;
  if (on) {
    const s = state.selected;
    const decoded = asText(s.bytes);
    const hex = state.format === 'hex' || decoded === null;
    $('editor').value = hex ? hexPairs(s.bytes) : decoded;
    $('editor').dataset.format = hex ? 'hex' : 'text';
    $('editor-label').textContent = hex ? 'New value (hex bytes)' : 'New value (text, saved as UTF-8)';
    $('editor').focus();
  }
}

async function saveEdit(event) {
  event.preventDefault();
  const s = state.selected;
  let body;
  try {
    body = $('editor').dataset.format === 'hex' ? parseHex($('editor').value) : new TextEncoder().encode($('editor').value);
  } catch (e) {
    say(e.message, 'error');
    return;
  }
  $('save-btn').disabled = true;
  try {
    const result = await apiJson('PUT', kvPath(s.key) + '?cas=' + s.modifyIndex, body);
    say('Saved ' + s.key + ' at index ' + result.index + '.', 'ok');
    await openKey(s.key);
  } catch (e) {
    if (e.status === 412) {
      say('Not saved: ' + s.key + ' changed since it was loaded (' + e.message + '). '
          + 'It has been reloaded; make the edit again on the current value.', 'error');
      await openKey(s.key);
    } else {
      say('Could not save ' + s.key + ': ' + e.message, 'error');
    }
  } finally {
    $('save-btn').disabled = false;
  }
}

async function deleteSelected() {
  const s = state.selected;
  if (!window.confirm('Delete ' + s.key + '?')) return;
  try {
    const result = await apiJson('DELETE', kvPath(s.key) + '?cas=' + s.modifyIndex);
    if (result.deleted) {
      say('Deleted ' + s.key + ' at index ' + result.index + '.', 'ok');
      state.selected = null;
      renderValue();
    } else {
      say(s.key + ' was not deleted: it changed since it was loaded. It has been reloaded.', 'error');
      await openKey(s.key);
    }
  } catch (e) {
    say('Could not delete ' + s.key + ': ' + e.message, 'error');
  }
  listKeys(state.prefix);
}

async function createKey(event) {
  event.preventDefault();
  const key = $('new-name').value;
  try {
    const result = await apiJson('PUT', kvPath(key) + '?cas=0', new TextEncoder().encode($('new-value').value));
    say('Created ' + key + ' at index ' + result.index + '.', 'ok');
    $('new-name').value = '';
    $('new-value').value = '';
    const slash = key.lastIndexOf('/');
    await listKeys(key.startsWith(state.prefix) ? state.prefix : key.slice(0, slash + 1));
    await openKey(key);
  } catch (e) {
    say(e.status === 412 ? key + ' already exists; select it to edit it.' : 'Could not create ' + key + ': ' + e.message,
        'error');
  }
}

function setUpKeys() {
  $('prefix-form').addEventListener('submit', (e) => {
    e.preventDefault();
    listKeys($('prefix').value);
  });
  $('more').addEventListener('click', () => {
    const last = state.items[state.items.length - 1];
    listKeys(state.prefix, last ? last.key : undefined);
  });
  for (const radio of document.querySelectorAll('input[name=format]')) {
    radio.addEventListener('change', () => {
      state.format = radio.value;
      renderValue();
    });
  }
  $('edit-btn').addEventListener('click', () => setEditing(true));
  $('cancel-btn').addEventListener('click', () => setEditing(false));
  $('edit-form').addEventListener('submit', saveEdit);
  $('delete-btn').addEventListener('click', deleteSelected);
  $('new-form').addEventListener('submit', createKey);
}

// ---- snapshots ------------------------------------------------------------------------

function setUpSnapshots() {
  $('take-snapshot').addEventListener('click', async () => {
    const button = $('take-snapshot');
    button.disabled = true;
    $('snapshot-result').textContent = 'Taking a snapshot…';
    try {
      const s = await apiJson('POST', '/v1/snapshot');
      $('snapshot-result').textContent = 'Snapshot ' + s.id + ' taken at index ' + s.index + ', term ' + s.term
          + (s.size >= 0 ? ', ' + s.size + ' bytes' : '') + '.';
      refreshCluster();
    } catch (e) {
      $('snapshot-result').textContent = 'Could not take a snapshot: ' + e.message;
    } finally {
      button.disabled = false;
    }
  });
}

// ---- ACL token ------------------------------------------------------------------------

function setUpToken() {
  $('token').value = token();
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('token').value.trim();
    if (value) {
      sessionStorage.setItem(TOKEN_KEY, value);
    } else {
      sessionStorage.removeItem(TOKEN_KEY);
    }
    say(value ? 'Using the ACL token for this tab.' : 'No ACL token.', 'ok');
    refreshCluster();
    // What the key browser listed (or failed to list) was for the previous token.
    state.items = [];
    if (!$('panel-keys').hidden) {
      listKeys(state.prefix);
    }
  });
}

// ---- start ----------------------------------------------------------------------------

function schedule() {
  clearInterval(state.timer);
  state.timer = null;
  if ($('auto-refresh').checked) {
    state.timer = setInterval(() => {
      if (!document.hidden) refreshCluster();
    }, REFRESH_MS);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  setUpToken();
  setUpTabs();
  setUpKeys();
  setUpSnapshots();
  $('auto-refresh').addEventListener('change', schedule);
  refreshCluster();
  schedule();
});
