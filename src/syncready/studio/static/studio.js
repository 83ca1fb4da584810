/* syncready studio: progressive enhancement of the server-rendered pages.
   Upload (drag and drop, size check, progress), the track page (jobs by polling the JSON API,
   the waveform with sections and beats, the loudness curve, level-matched A/B players) and
   live validation of the rights form. Data from the server is only ever inserted as text. */
(function () {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const POLL_MS = 400;
  const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f'];

  function csrf() { return document.body.dataset.csrf; }

  async function api(method, url, body) {
    const init = { method: method, headers: { 'X-CSRF-Token': csrf() }, credentials: 'same-origin' };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
    const response = await fetch(url, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || response.statusText);
    return data;
  }

  function el(tag, attrs, text) {
    const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* ---------------------------------------------------------------- upload */
  function initUpload(form) {
    const drop = document.getElementById('drop');
    const input = document.getElementById('files');
    const status = document.getElementById('upload-status');
    const maxBytes = Number(form.dataset.maxBytes);
    let dropped = null;
    ['dragenter', 'dragover'].forEach((e) => drop.addEventListener(e, (ev) => { ev.preventDefault(); drop.classList.add('over'); }));
    ['dragleave', 'drop'].forEach((e) => drop.addEventListener(e, (ev) => { ev.preventDefault(); drop.classList.remove('over'); }));
    drop.addEventListener('drop', (ev) => {
      dropped = ev.dataTransfer.files;
      status.textContent = dropped.length + ' file(s) ready: ' + Array.from(dropped).map((f) => f.name).join(', ');
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const files = Array.from(dropped || input.files);
      if (!files.length) { status.textContent = 'Choose or drop at least one audio file.'; return; }
      const big = files.filter((f) => f.size > maxBytes);
      if (big.length) { status.textContent = big.map((f) => f.name).join(', ') + ': larger than the upload limit.'; return; }
      const data = new FormData();
      files.forEach((f) => data.append('files', f, f.name));
      data.append('profile', form.elements.profile.value);
      const xhr = new XMLHttpRequest();
      const bar = el('progress', { max: '1', value: '0' });
      status.replaceChildren(bar, el('span', {}, ' uploading...'));
      xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; });
      xhr.addEventListener('load', () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        const errors = (body.rejected || []).map((r) => r.error);
        if (body.detail) errors.push(body.detail);
        if (body.tracks && body.tracks.length && !errors.length) { window.location.href = body.tracks[0].url; return; }
        const list = el('ul');
        (body.tracks || []).forEach((t) => { const li = el('li'); li.append(el('a', { href: t.url }, t.name)); list.append(li); });
        errors.forEach((m) => list.append(el('li', { class: 'error' }, m)));
        status.replaceChildren(list);
      });
      xhr.addEventListener('error', () => { status.textContent = 'The upload failed (connection lost).'; });
      xhr.open('POST', '/api/tracks');
      xhr.setRequestHeader('X-CSRF-Token', csrf());
      xhr.send(data);
    });
  }

  /* ---------------------------------------------------------------- track page */
  function drawOverlay(view) {
    const overlay = document.getElementById('overlay');
    const legend = document.getElementById('sections-legend');
    if (!overlay || !view.duration_s) return;
    const pct = (t) => (100 * t / view.duration_s).toFixed(3) + '%';
    view.sections.forEach((s) => {
      const colour = COLOURS[(s.group.charCodeAt(0) - 65 + COLOURS.length) % COLOURS.length];
      const box = el('div', { class: 'section', title: s.group + ' ' + s.label });
      box.style.left = pct(s.start); box.style.width = pct(s.end - s.start); box.style.background = colour;
      box.append(el('span', {}, s.group + ' ' + s.label));
      overlay.append(box);
    });
    const downbeats = new Set(view.downbeats);
    view.beats.forEach((b) => {
      const line = el('div', { class: downbeats.has(b) ? 'beat down' : 'beat' });
      line.style.left = pct(b);
      overlay.append(line);
    });
    legend.textContent = view.sections.length + ' sections, ' + view.beats.length + ' beats (' + view.downbeats.length +
      ' downbeats)' + (view.ending && view.ending.type ? '; ending: ' + view.ending.type : '');
  }

  function drawLoudness(view) {
    const box = document.getElementById('loudness');
    if (!box) return;
    const W = 1000, H = 160;
    const values = view.short_term_lufs.filter((v) => v !== null);
    let lo = Math.max(-60, Math.min(...values, view.target ? view.target.lufs - 3 : 0) - 3);
    let hi = Math.max(...values, view.target ? view.target.lufs + 3 : -60) + 2;
    if (!values.length) { lo = -60; hi = 0; }
    const x = (t) => (W * t / view.duration_s).toFixed(1);
    const y = (v) => (H * (hi - Math.max(lo, v)) / (hi - lo)).toFixed(1);
    const svg = el('svg:svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img',
      'aria-label': 'short-term loudness over time' });
    if (view.target) {
      const top = view.target.lufs + view.target.tolerance_lu, bottom = view.target.lufs - view.target.tolerance_lu;
      svg.append(el('svg:rect', { x: 0, width: W, y: y(top), height: Math.max(1, y(bottom) - y(top)), class: 'band' }));
    }
    const points = [];
    view.short_term_lufs.forEach((v, i) => { if (v !== null) points.push(x((i + 1) * view.hop_s) + ',' + y(v)); });
    svg.append(el('svg:polyline', { points: points.join(' '), class: 'curve-line' }));
    [hi, (hi + lo) / 2, lo].forEach((v) => svg.append(el('svg:text', { x: 4, y: Math.min(H - 4, Math.max(12, y(v))) }, v.toFixed(0) + ' LUFS')));
    box.replaceChildren(svg);
  }

  function drawWave(view) {
    const container = document.getElementById('wave');
    if (!container || !window.WaveSurfer) return;
    const original = document.querySelector('audio[data-name="original"]');
    window.WaveSurfer.create({
      container: container, height: 120, waveColor: '#3b6ea8', progressColor: '#1f4e79', cursorColor: '#b00020',
      peaks: [view.envelope], duration: view.duration_s, media: original || undefined, normalize: false,
    });
  }

  function initPlayers() {
    const players = Array.from(document.querySelectorAll('#players audio'));
    players.forEach((a) => {
      a.volume = Math.min(1, Math.max(0, Number(a.dataset.volume) || 1));
      a.addEventListener('play', () => players.forEach((o) => { if (o !== a) o.pause(); }));
    });
    const original = players.find((a) => a.dataset.name === 'original');
    document.querySelectorAll('button.ab').forEach((button) => button.addEventListener('click', () => {
      const other = players.find((a) => a.dataset.name === button.dataset.name);
      if (!original || !other) return;
      const [from, to] = original.paused ? [other, original] : [original, other];
      const at = from.currentTime;
      from.pause();
      to.currentTime = Math.min(at, to.duration || at);
      to.play();
    }));
  }

  function initTrack(root) {
    const id = root.dataset.track;
    const states = {};
    document.querySelectorAll('.job-state').forEach((n) => { states[n.dataset.kind] = n.dataset.state; });
    const hasCheck = !document.getElementById('analysing');
    let timer = null;

    function render(kind, job) {
      const node = document.querySelector('.job-state[data-kind="' + kind + '"]');
      if (!node || !job) return;
      node.dataset.state = job.state;
      const bar = el('progress', { max: '1', value: String(job.progress) });
      node.replaceChildren(el('span', { class: 'state ' + job.state }, job.state), document.createTextNode(' '), bar,
        el('span', { class: 'message' }, ' ' + (job.error || job.message)));
    }

    async function poll() {
      let doc;
      try { doc = await api('GET', '/api/tracks/' + id); } catch (e) { timer = setTimeout(poll, POLL_MS * 3); return; }
      let busy = false, reload = !hasCheck && doc.check;
      for (const [kind, job] of Object.entries(doc.jobs)) {
        if (!job) continue;
        render(kind, job);
        const active = job.state === 'queued' || job.state === 'running';
        busy = busy || active;
        if (!active && (states[kind] === 'queued' || states[kind] === 'running' || states[kind] === 'starting')) reload = true;
      }
      if (reload) { window.location.reload(); return; }
      if (busy || !doc.check) timer = setTimeout(poll, POLL_MS);
    }

    document.querySelectorAll('form.job').forEach((form) => form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const kind = form.dataset.kind;
      const step = form.elements.step ? form.elements.step.value : undefined;
      try {
        const job = await api('POST', '/api/tracks/' + id + '/jobs/' + kind, step ? { step: step } : undefined);
        states[kind] = 'starting';
        render(kind, job);
        clearTimeout(timer);
        poll();
      } catch (e) {
        const node = document.querySelector('.job-state[data-kind="' + kind + '"]');
        if (node) node.replaceChildren(el('span', { class: 'error' }, e.message));
      }
    }));
    api('GET', '/api/tracks/' + id).then((doc) => {
      if (doc.view) { drawWave(doc.view); drawOverlay(doc.view); drawLoudness(doc.view); }
    });
    initPlayers();
    poll();
  }

  /* ---------------------------------------------------------------- rights */
  function renderAssessment(body, a) {
    const parts = [];
    if (a.error) parts.push(el('p', { class: 'error' }, a.error));
    parts.push(el('p', { class: a.valid ? 'pass' : 'fail', id: 'rights-verdict' }, a.valid ? 'VALID' : 'INVALID'));
    const list = el('ul', { id: 'rights-issues' });
    a.issues.forEach((i) => list.append(el('li', { class: i.severity === 'error' ? 'fail' : 'warn' }, i.severity + ' ' + i.field + ': ' + i.message)));
    parts.push(list);
    if (a.disclosure) parts.push(el('p', {}, 'Disclosure: ' + a.disclosure));
    if (a.advice) {
      const c = a.advice.classification;
      const p = el('p'); p.append(el('strong', {}, c.label), document.createTextNode(': ' + c.basis)); parts.push(p);
      parts.push(el('p', { id: 'ready-for' }, 'Ready for: ' + (a.advice.ready_for.join(', ') || 'nothing yet')));
      const paths = el('ul');
      for (const [name, path] of Object.entries(a.advice.paths)) {
        const li = el('li', { class: path.ready ? 'pass' : 'warn' }, name + ': ' + (path.ready ? 'ready' : 'not yet'));
        if (path.todo.length) { const todo = el('ul'); path.todo.forEach((t) => todo.append(el('li', {}, t))); li.append(todo); }
        paths.append(li);
      }
      parts.push(paths);
      parts.push(el('p', { class: 'muted' }, a.advice.disclaimer || ''));
    }
    body.replaceChildren(...parts);
  }

  function initRights(form) {
    const body = document.getElementById('assessment-body');
    let timer = null, seq = 0;
    const check = async () => {
      const mine = ++seq;
      try {
        const a = await api('POST', form.dataset.validate, new FormData(form));
        if (mine === seq) renderAssessment(body, a);
      } catch (e) { body.replaceChildren(el('p', { class: 'error' }, e.message)); }
    };
    form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 250); });
    form.addEventListener('change', () => { clearTimeout(timer); timer = setTimeout(check, 50); });
    check();
  }

  document.addEventListener('DOMContentLoaded', () => {
    const upload = document.getElementById('upload');
    if (upload) initUpload(upload);
    const track = document.getElementById('track');
    if (track) initTrack(track);
    const rights = document.getElementById('rights');
    if (rights) initRights(rights);
  });
})();
