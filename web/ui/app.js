// ecsync status UI: the overview at "/", a project's page at "/projects/<key>".
// Every value from the server is rendered with textContent (never as HTML), so text a
// repository author controls (service and project names, commit messages, resource IDs,
// event reasons) cannot create elements.
'use strict';

(function () {
  const TOKEN_KEY = 'ecsync.token';
  const CONDITIONS = ['Ready', 'Reconciling', 'WaitingForImages', 'Held', 'AwaitingApproval',
    'Stalled', 'Suspended'];
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  const projects = new Map();
  let repositories = [];
  const onProject = location.pathname.startsWith('/projects/');
  const projectKey = onProject ? decodeKey(location.pathname.slice(10)) : '';

  function decodeKey(text) {
    try { return decodeURIComponent(text); } catch (e) { return text; }
  }

  // --- small helpers -------------------------------------------------------------------
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function headers() {
    const h = { Accept: 'application/json' };
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  }
  async function errorOf(response) {
    try {
      const body = await response.json();
      if (body && typeof body.error === 'string') return body.error;
    } catch (e) { /* not JSON */ }
    return response.statusText || 'error';
  }
  async function getJson(url) {
    const response = await fetch(url, { headers: headers(), cache: 'no-store' });
    if (!response.ok) throw new Error(response.status + ': ' + (await errorOf(response)));
    return response.json();
  }
  function say(text) { $('live').textContent = text; }
  function short(sha) { return (sha || '').slice(0, 7); }
  function conditionOf(p) { return p.suspended ? 'Suspended' : p.condition.type; }
  // Who suspended the project through the operator API, and when ('' otherwise).
  function suspension(p) {
    return p.suspendedBy ? 'suspended by ' + p.suspendedBy + ' since ' + p.suspendedAt : '';
  }
  function badge(p) {
    const type = conditionOf(p);
    // The class comes from a fixed list, never from the server's text.
    const known = CONDITIONS.includes(type) ? type : 'Stalled';
    return el('span', type, 'badge c-' + known);
  }
  // A table cell holding `content` (text or nodes), labelled for the phone layout.
  function cell(label, content) {
    const td = el('td');
    td.setAttribute('data-label', label);
    const box = el('div');
    for (const part of [].concat(content)) {
      if (part === null || part === undefined) continue;
      box.appendChild(part instanceof Node ? part : document.createTextNode(String(part)));
    }
    td.appendChild(box);
    return td;
  }
  function fillTable(id, rows, labels, toCells) {
    const body = $(id).tBodies[0];
    clear(body);
    for (const item of rows) {
      const tr = el('tr');
      toCells(item).forEach((content, i) => tr.appendChild(cell(labels[i], content)));
      body.appendChild(tr);
    }
  }
  function projectLink(key) {
    const a = el('a', key);
    a.href = '/projects/' + encodeURIComponent(key);
    return a;
  }
  function revision(commit) {
    if (!commit || !commit.sha) return ['—'];
    let sha = el('code', short(commit.sha));
    sha.title = commit.sha;
    // Only https links: the server builds them for known hosts, and nothing else is followed.
    if (commit.url && /^https:\/\//.test(commit.url)) {
      const a = el('a');
      a.href = commit.url;
      a.rel = 'noopener noreferrer';
      a.setAttribute('aria-label', 'commit ' + short(commit.sha) + ' on the git host');
      a.appendChild(sha);
      sha = a;
    }
    return [sha, commit.subject ? el('span', commit.subject, 'subject') : null,
      commit.author ? el('span', commit.author, 'author') : null];
  }
  function drift(p) {
    if (!p.drift || !p.drift.status) return 'not checked';
    return p.drift.status + (p.drift.driftedResources ? ' (' + p.drift.driftedResources + ')' : '');
  }

  // --- overview ------------------------------------------------------------------------
  function renderOverview() {
    const text = $('filter').value.trim().toLowerCase();
    const wanted = $('condition').value;
    const shown = [...projects.values()].filter((p) => {
      if (wanted && conditionOf(p) !== wanted) return false;
      if (!text) return true;
      const c = p.commit || {};
      return [p.key, p.stack, p.stackStatus, c.sha, c.subject, c.author]
        .some((v) => (v || '').toLowerCase().includes(text));
    });
    shown.sort((a, b) => a.key.localeCompare(b.key));
    fillTable('projects', shown, ['Project', 'Condition', 'Revision', 'Stack', 'Drift'], (p) => [
      projectLink(p.key),
      [badge(p), p.condition.type !== 'Ready' && p.condition.reason
        ? el('span', p.condition.reason, 'reason') : null,
      p.progress ? el('span', p.progress, 'progress') : null,
      suspension(p) ? el('span', suspension(p), 'reason') : null],
      revision(p.commit),
      [el('span', p.stack), el('span', p.stackStatus || '—', 'author'),
        p.replica ? el('span', 'replica ' + p.replica, 'author') : null],
      drift(p),
    ]);
    $('empty').hidden = shown.length > 0;
    fillTable('repositories', repositories, ['Name', 'Ref', 'Commit', 'Fetched', 'Next check',
      'Error'], (r) => [[r.name, r.replica ? el('span', 'replica ' + r.replica, 'author') : null],
      r.ref, el('code', short(r.lastFetchedCommit)), r.lastFetchTime,
      r.nextAttemptAt + (r.consecutiveFailures ? ' (retry after ' + r.consecutiveFailures +
        ' failures, backing off ' + Math.round(r.backoffSeconds) + ' s)' : ''),
      r.lastError || '—']);
  }

  // --- project page --------------------------------------------------------------------
  function renderSummary(p) {
    $('p-title').textContent = p.key;
    document.title = p.key + ' · ecsync';
    const dl = $('p-summary');
    clear(dl);
    const rows = [
      ['Condition', [badge(p)]],
      ['Reason', [p.condition.reason || '—']],
      ['Suspended', [suspension(p) || (p.suspended ? 'by the configuration' : '—')]],
      ['Progress', [p.progress || '—']],
      ['Revision', revision(p.commit)],
      ['Stack', [p.stack || '—']],
      ['Stack status', [p.stackStatus || '—']],
      ['Drift', [drift(p) + (p.drift && p.drift.detail ? ': ' + p.drift.detail : '')]],
    ];
    for (const [name, parts] of rows) {
      dl.appendChild(el('dt', name));
      const dd = el('dd');
      parts.forEach((part) => {
        if (part !== null) dd.appendChild(part instanceof Node ? part : document.createTextNode(part));
      });
      dl.appendChild(dd);
    }
    fillTable('p-runs', p.runs || [], ['Started', 'Duration', 'Revision', 'Action', 'Result',
      'Message'], (r) => [r.started, r.seconds.toFixed(1) + ' s', el('code', short(r.revision)),
      r.action, r.result, r.message]);
    renderApproval(p.pendingApproval);
    fillTable('p-changes', p.lastChanges || [], ['Action', 'Logical ID', 'Type', 'Replacement'],
      (c) => [c.action, c.logicalId, c.resourceType, c.replacement || '—']);
    $('p-changes-note').textContent = p.lastChangesRevision
      ? 'Revision ' + short(p.lastChangesRevision) : 'No update has changed this stack yet.';
    $('p-diff').textContent = (p.lastTemplateDiff || []).join('\n') || '(no template diff)';
  }
  // The change waiting for an operator (approval: manual); Approve and Reject only with a
  // token (the API refuses them without an operate one anyway).
  let pending = null;
  function renderApproval(approval) {
    pending = approval || null;
    $('approval').hidden = !pending;
    $('approval-actions').hidden = !pending || !token;
    if (!pending) return;
    $('a-note').textContent = pending.action + ' at revision ' + short(pending.revision) +
      ': ' + pending.changeSet + (pending.since ? ', waiting since ' + pending.since : '');
    fillTable('a-changes', pending.changes || [], ['Action', 'Logical ID', 'Type',
      'Replacement'], (c) => [c.action, c.logicalId, c.resourceType, c.replacement || '—']);
    $('a-diff').textContent = (pending.templateDiff || []).join('\n') || '(no template diff)';
  }
  function renderStack(stack) {
    $('p-stack-error').hidden = !stack.stackError;
    $('p-stack-error').textContent = stack.stackError || '';
    fillTable('p-resources', stack.resources, ['Logical ID', 'Type', 'Status', 'Physical ID',
      'Reason'], (r) => [r.logicalId, r.type, r.status, r.physicalId, r.reason]);
    fillTable('p-events', stack.events, ['Time', 'Resource', 'Status', 'Reason'],
      (e) => [e.time, e.logicalId, e.status, e.reason]);
  }
  async function loadDetails() {
    try {
      const doc = await getJson('/api/v1/projects/' + encodeURIComponent(projectKey) + '/details');
      projects.set(projectKey, doc.project);
      renderSummary(doc.project);
      renderStack(doc.stack);
    } catch (e) {
      say('Cannot load the project: ' + e.message);
    }
  }
  let detailsTimer = 0;
  function loadDetailsSoon() {
    if (!detailsTimer) detailsTimer = setTimeout(() => { detailsTimer = 0; loadDetails(); }, 1500);
  }

  // --- operator actions ----------------------------------------------------------------
  function showActions() {
    $('actions').hidden = !token;
    $('approval-actions').hidden = !pending || !token;
  }
  async function act(action, button) {
    const out = $('action-result');
    button.disabled = true;
    out.textContent = action + ': sending…';
    try {
      const response = await fetch('/api/v1/projects/' + encodeURIComponent(projectKey) + '/' +
        action, { method: 'POST', headers: headers() });
      out.textContent = response.ok ? action + ': accepted'
        : action + ' refused (' + response.status + '): ' + (await errorOf(response));
    } catch (e) {
      out.textContent = action + ' failed: ' + e.message;
    } finally {
      button.disabled = false;
    }
  }

  // --- data and live updates -----------------------------------------------------------
  let peersTimer = 0;
  async function loadStatus() {
    try {
      const doc = await getJson('/api/v1/status');
      projects.clear();
      for (const p of doc.projects) projects.set(p.key, p);
      repositories = doc.repositories;
      renderOverview();
      say(projects.size + ' projects, updated ' + new Date().toLocaleTimeString());
      // With replicas, the live events come from this replica's projects only: the others'
      // are read again every few seconds.
      if (doc.peers && doc.peers.length && !peersTimer) {
        peersTimer = setTimeout(() => { peersTimer = 0; if (!onProject) loadStatus(); }, 5000);
      }
    } catch (e) {
      say('Cannot load the status: ' + e.message);
    }
  }
  function refresh() { return onProject ? loadDetails() : loadStatus(); }
  let statusTimer = 0;
  function refreshSoon() {
    if (!statusTimer) statusTimer = setTimeout(() => { statusTimer = 0; refresh(); }, 1000);
  }
  function onEvent(message) {
    if (!message.key) {  // a repository changed: its row travels with the event
      if (onProject || !message.repository) { refreshSoon(); return; }
      repositories = repositories.filter((r) => r.name !== message.repository);
      if (message.repositoryStatus) {
        repositories.push(message.repositoryStatus);
        repositories.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      }
      renderOverview();
      return;
    }
    if (onProject) {
      if (message.key !== projectKey) return;
      if (message.project) renderSummary(message.project);
      loadDetailsSoon();
      return;
    }
    if (message.project) projects.set(message.key, message.project);
    else projects.delete(message.key);
    renderOverview();
    say('Updated ' + message.key + ' at ' + new Date().toLocaleTimeString());
  }
  // Server-sent events read with fetch (EventSource cannot send the Authorization header).
  // The page loads the full state once the stream is open, so no change falls in between.
  async function stream() {
    try {
      const response = await fetch('/api/v1/events', { headers: headers(), cache: 'no-store' });
      if (!response.ok || !response.body) throw new Error(response.status + ': ' + (await errorOf(response)));
      refresh();
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim()).join('\n');
          if (data) onEvent(JSON.parse(data));
        }
      }
      say('Live updates interrupted; reconnecting…');
    } catch (e) {
      say('Live updates unavailable (' + e.message + '); retrying…');
      refresh();
    }
    setTimeout(stream, 3000);
  }

  // --- start ---------------------------------------------------------------------------
  function start() {
    $('token').value = token ? '********' : '';
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('token').value.trim();
      if (value && value !== '********') {
        token = value;
        sessionStorage.setItem(TOKEN_KEY, token);
        $('token').value = '********';
      }
      showActions();
      say(token ? 'Token kept for this browser tab.' : 'No token.');
    });
    $('token-clear').addEventListener('click', () => {
      token = '';
      sessionStorage.removeItem(TOKEN_KEY);
      $('token').value = '';
      showActions();
      say('Token forgotten.');
    });
    if (onProject) {
      $('project').hidden = false;
      $('p-title').textContent = projectKey;
      showActions();
      const buttons = [...$('actions').querySelectorAll('button'),
        ...$('approval-actions').querySelectorAll('button')];
      for (const button of buttons) {
        button.addEventListener('click', () => act(button.dataset.action, button));
      }
    } else {
      $('overview').hidden = false;
      $('filter').addEventListener('input', renderOverview);
      $('condition').addEventListener('change', renderOverview);
    }
    stream();
  }
  document.addEventListener('DOMContentLoaded', start);
})();
