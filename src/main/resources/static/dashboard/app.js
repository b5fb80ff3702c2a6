// RobustLab's dashboard: a small page app over the service's own JSON API, with no library and nothing loaded
// from another site. Every value from the API is put into the page as text (never as HTML).
'use strict';

const main = document.getElementById('main');
let streams = [];   // the page's open EventSources, closed when it changes
let timers = [];

// ---------------------------------------------------------------- helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.substring(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : 'HTTP ' + status);
    this.status = status;
    this.problem = problem || {};
  }
}

async function api(path, options) {
  const opts = options || {};
  const headers = {'Accept': 'application/json', 'X-RobustLab-Dashboard': '1'};
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, {method: opts.method || 'GET', headers, credentials: 'same-origin',
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body)});
  if (r.status === 401) {
    location.href = '/signin?next=' + encodeURIComponent('/' + location.hash);
    throw new ApiError(401, {detail: 'sign in first'});
  }
  const type = r.headers.get('content-type') || '';
  const body = type.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new ApiError(r.status, typeof body === 'object' ? body : {detail: body});
  return body;
}

const pct = x => (x === null || x === undefined || isNaN(x)) ? '—' : (100 * x).toFixed(1) + '%';
const fix = (x, d) => (x === null || x === undefined || isNaN(x)) ? '—' : Number(x).toFixed(d);
const when = t => t ? new Date(t).toLocaleString() : '—';
const short = id => id ? id.substring(0, 8) : '';

function eta(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

function stateCell(state) {
  return h('span', {class: 'state-' + state, 'data-role': 'state'}, state);
}

function problemBox(e) {
  const p = e.problem || {};
  return h('div', {class: 'problem', role: 'alert'}, h('strong', {}, (p.title || 'Error') + ': '), p.detail || e.message);
}

/** Replaces an element's children, skipping the absent ones (null, undefined, false). */
function fill(el, ...children) {
  el.replaceChildren(...children.flat(2).filter(c => c !== null && c !== undefined && c !== false));
}

function page(title, ...content) {
  fill(main, h('h1', {}, title), content);
}

function query() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.substring(i + 1));
}

// ---------------------------------------------------------------- charts (SVG, drawn here)

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** A line chart of series [{name, points: [[x, y], ...]}] against the epoch. */
function lineChart(title, series, id) {
  const W = 380, H = 240, L = 52, R = 12, T = 28, B = 56;
  const all = series.flatMap(s => s.points).filter(p => p[1] !== null && isFinite(p[1]));
  const root = svg('svg', {width: W, height: H, class: 'chart', 'data-chart': id, 'data-points': String(all.length)});
  root.append(svg('text', {x: W / 2, y: 18, 'text-anchor': 'middle', 'font-size': 14}, title));
  if (all.length === 0) {
    root.append(svg('text', {x: W / 2, y: H / 2, 'text-anchor': 'middle', 'font-size': 12, fill: '#777'}, 'no epoch has finished yet'));
    return root;
  }
  let x0 = Math.min(...all.map(p => p[0])), x1 = Math.max(...all.map(p => p[0]));
  let y0 = Math.min(...all.map(p => p[1])), y1 = Math.max(...all.map(p => p[1]));
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 -= Math.abs(y0) * 0.1 + 1e-3; y1 += Math.abs(y1) * 0.1 + 1e-3; }
  const sx = x => L + (x - x0) / (x1 - x0) * (W - L - R);
  const sy = y => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  root.append(svg('line', {x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#888'}));
  root.append(svg('line', {x1: L, y1: T, x2: L, y2: H - B, stroke: '#888'}));
  for (const y of [y0, (y0 + y1) / 2, y1]) {
    root.append(svg('text', {x: L - 4, y: sy(y) + 4, 'text-anchor': 'end', 'font-size': 10}, Math.abs(y) < 0.01 && y !== 0 ? y.toExponential(1) : y.toFixed(3)));
  }
  for (const x of [...new Set(all.map(p => p[0]))].slice(0, 12)) {
    root.append(svg('text', {x: sx(x), y: H - B + 14, 'text-anchor': 'middle', 'font-size': 10}, x));
  }
  root.append(svg('text', {x: (L + W - R) / 2, y: H - B + 28, 'text-anchor': 'middle', 'font-size': 11}, 'epoch'));
  series.forEach((s, i) => {
    const pts = s.points.filter(p => p[1] !== null && isFinite(p[1]));
    const color = COLORS[i % COLORS.length];
    if (pts.length > 1) {
      root.append(svg('polyline', {fill: 'none', stroke: color, 'stroke-width': 2, points: pts.map(p => sx(p[0]) + ',' + sy(p[1])).join(' ')}));
    }
    for (const p of pts) root.append(svg('circle', {cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: color}));
    root.append(svg('rect', {x: L + 4 + i * 110, y: H - 18, width: 10, height: 10, fill: color}));
    root.append(svg('text', {x: L + 18 + i * 110, y: H - 9, 'font-size': 11}, s.name));
  });
  return root;
}

function curves(metrics) {
  const s = (name, key) => ({name, points: metrics.map(m => [m.epoch, m[key]])});
  return h('div', {class: 'charts', id: 'curves'},
    lineChart('Loss', [s('loss', 'loss'), s('CE', 'crossEntropy'), s('regulariser', 'regularizer')], 'loss'),
    lineChart('Validation accuracy', [s('clean', 'validationCleanAccuracy'), s('PGD', 'validationRobustAccuracy'),
      s('train', 'trainAccuracy')], 'accuracy'),
    lineChart('Learning rate', [s('lr', 'learningRate')], 'lr'));
}

// ---------------------------------------------------------------- jobs

function progressCells(job) {
  const p = job.progress || {};
  return [
    h('td', {}, h('progress', {max: 100, value: p.percent || 0, 'data-role': 'progress'}), ' ',
      h('span', {'data-role': 'percent'}, fix(p.percent || 0, 0) + '%')),
    h('td', {'data-role': 'epoch'}, p.epoch ? p.epoch + '/' + p.epochs : '—'),
    h('td', {'data-role': 'eta'}, job.state === 'RUNNING' ? eta(p.etaSeconds) : '—')];
}

/** Follows a job's event stream, calling back with each new view. */
function follow(id, onView) {
  const es = new EventSource('/api/v1/training-jobs/' + id + '/events');
  const handle = ev => { try { onView(JSON.parse(ev.data)); } catch (e) { /* a heartbeat or a partial line */ } };
  es.addEventListener('progress', handle);
  es.addEventListener('end', ev => { handle(ev); es.close(); });
  streams.push(es);
}

async function jobsPage() {
  const q = query();
  const filters = ['state', 'method', 'dataset', 'tag', 'owner'];
  const choices = {state: ['', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'STOPPED', 'FAILED', 'CANCELLED'],
    method: ['', 'standard', 'arr', 'pgd-at', 'trades', 'mart', 'fgsm-rs', 'n-fgsm'], dataset: ['', 'fashion-mnist', 'cifar10', 'cifar100']};
  const inputs = {};
  const form = h('form', {class: 'filters', onsubmit: e => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const f of filters) if (inputs[f].value) p.set(f, inputs[f].value);
    location.hash = '#/jobs' + (p.toString() ? '?' + p : '');
  }});
  for (const f of filters) {
    inputs[f] = choices[f]
      ? h('select', {name: f}, choices[f].map(c => h('option', {value: c, selected: q.get(f) === c}, c || 'any')))
      : h('input', {name: f, value: q.get(f) || '', size: 14});
    form.append(h('label', {}, f + ' ', inputs[f]));
  }
  form.append(h('button', {type: 'submit'}, 'Filter'));
  const params = new URLSearchParams();
  for (const f of filters) if (q.get(f)) params.set(f, q.get(f));
  params.set('size', '50');
  const data = await api('/api/v1/training-jobs?' + params);
  const rows = data.content.map(job => {
    const tr = h('tr', {'data-job': job.id},
      h('td', {}, h('a', {href: '#/jobs/' + job.id}, job.name || short(job.id))),
      h('td', {}, stateCell(job.state)), h('td', {}, job.method), h('td', {}, job.dataset), h('td', {}, job.model),
      ...progressCells(job), h('td', {}, (job.tags || []).join(', ')), h('td', {}, job.owner || ''), h('td', {}, when(job.createdAt)));
    return tr;
  });
  page('Training jobs', form,
    h('p', {class: 'meta'}, data.totalElements + ' job(s); progress and ETA update live.'),
    h('table', {id: 'jobs'}, h('tr', {}, ['name', 'state', 'method', 'dataset', 'model', 'progress', 'epoch', 'ETA', 'tags', 'owner', 'submitted']
      .map(t => h('th', {}, t))), rows));
  // live progress for the active ones (a few streams at most; the service caps them per key)
  data.content.filter(j => j.state === 'RUNNING' || j.state === 'QUEUED').slice(0, 8).forEach(job => {
    follow(job.id, view => {
      const tr = main.querySelector('tr[data-job="' + view.id + '"]');
      if (!tr) return;
      const cells = progressCells(view);
      tr.querySelector('[data-role=state]').replaceWith(stateCell(view.state));
      tr.children[5].replaceWith(cells[0]);
      tr.children[6].replaceWith(cells[1]);
      tr.children[7].replaceWith(cells[2]);
    });
  });
}

async function jobPage(id) {
  const job = await api('/api/v1/training-jobs/' + id);
  let metrics = await api('/api/v1/training-jobs/' + id + '/metrics');
  let evaluations = {content: []};
  try { evaluations = await api('/api/v1/evaluations?size=50&jobId=' + id); } catch (e) { /* shown empty */ }
  const status = h('div', {id: 'status'});
  const chartBox = h('div', {}, curves(metrics));
  const table = h('div', {});
  const models = h('div', {});
  function render(view) {
    const p = view.progress || {};
    fill(status, 
      h('p', {}, 'State: ', stateCell(view.state), view.failureReason ? ' — ' + view.failureReason : ''),
      h('p', {}, h('progress', {max: 100, value: p.percent || 0, id: 'job-progress'}), ' ',
        h('span', {id: 'job-percent'}, fix(p.percent || 0, 1) + '%'), ' · epoch ', h('span', {id: 'job-epoch'}, (p.epoch || 0) + '/' + p.epochs),
        ' · batch ' + (p.batch || 0) + '/' + (p.batches || 0), ' · ETA ', h('span', {id: 'job-eta'}, view.state === 'RUNNING' ? eta(p.etaSeconds) : '—')),
      h('p', {class: 'meta'}, view.method + ' · ' + view.model + ' on ' + view.dataset + ' · device ' + (view.device || '—') + ' · owner ' +
        (view.owner || '—') + ' · submitted ' + when(view.createdAt) + (view.continues ? ' · continues job ' + short(view.continues) : '')),
      ['QUEUED', 'RUNNING'].includes(view.state)
        ? h('button', {id: 'cancel', onclick: async () => {
          try { render(await api('/api/v1/training-jobs/' + id + '/cancel', {method: 'POST'})); } catch (e) { status.append(problemBox(e)); }
        }}, 'Cancel')
        : h('button', {id: 'delete', onclick: async () => {
          if (!confirm('Delete job ' + short(id) + ' with its models and their evaluations? This cannot be undone.')) return;
          try { await api('/api/v1/training-jobs/' + id, {method: 'DELETE'}); location.hash = '#/jobs'; } catch (e) { status.append(problemBox(e)); }
        }}, 'Delete'));
    fill(models, view.models.length === 0 ? h('p', {class: 'meta'}, 'No model yet.') :
      h('table', {id: 'models'}, h('tr', {}, h('th', {}, 'model'), h('th', {}, 'epoch'), h('th', {}, 'download'), h('th', {}, '')),
        view.models.map(m => h('tr', {}, h('td', {}, m.kind + ' ' + short(m.id)), h('td', {class: 'num'}, m.epoch),
          h('td', {}, h('a', {href: '/api/v1/models/' + m.id + '/download?format=safetensors'}, 'safetensors'), ' · ',
            h('a', {href: '/api/v1/models/' + m.id + '/download?format=djl'}, 'DJL')),
          h('td', {}, h('a', {href: '#/evaluate?modelId=' + m.id}, 'evaluate'))))));
  }
  function metricTable() {
    fill(table, h('table', {id: 'metrics'},
      h('tr', {}, ['epoch', 'loss', 'CE', 'regulariser', 'train acc', 'val clean', 'val PGD', 'lr', 'images/s'].map(t => h('th', {}, t))),
      metrics.map(m => h('tr', {}, h('td', {class: 'num'}, m.epoch), h('td', {class: 'num'}, fix(m.loss, 4)),
        h('td', {class: 'num'}, fix(m.crossEntropy, 4)), h('td', {class: 'num'}, fix(m.regularizer, 4)), h('td', {class: 'num'}, pct(m.trainAccuracy)),
        h('td', {class: 'num'}, pct(m.validationCleanAccuracy)), h('td', {class: 'num'}, pct(m.validationRobustAccuracy)),
        h('td', {class: 'num'}, fix(m.learningRate, 5)), h('td', {class: 'num'}, fix(m.imagesPerSecond, 0))))));
  }
  render(job);
  metricTable();
  const evTable = evaluations.content.length === 0 ? h('p', {class: 'meta'}, 'No evaluation of its models yet.') :
    h('table', {id: 'job-evaluations'}, h('tr', {}, ['evaluation', 'state', 'clean', 'worst case', 'report'].map(t => h('th', {}, t))),
      evaluations.content.map(e => h('tr', {}, h('td', {}, h('a', {href: '#/evaluations/' + e.id}, short(e.id))), h('td', {}, stateCell(e.state)),
        h('td', {class: 'num'}, e.report ? pct(e.report.cleanAccuracy) : '—'),
        h('td', {class: 'num'}, e.report ? e.report.worstCaseAccuracy.map(w => pct(w.accuracy) + ' @' + w.epsilon).join(', ') : '—'),
        h('td', {}, e.report ? h('a', {href: '/api/v1/evaluations/' + e.id + '/report.html'}, 'report') : '—'))));
  page(job.name || 'Job ' + short(id), status, h('h2', {}, 'Training curves'), chartBox, table, h('h2', {}, 'Models'), models,
    h('h2', {}, 'Evaluations'), evTable);
  if (!['SUCCEEDED', 'FAILED', 'CANCELLED', 'STOPPED'].includes(job.state)) {
    let lastEpoch = metrics.length;
    follow(id, async view => {
      render(view);
      const epoch = view.metrics ? view.metrics.epoch : 0;
      if (epoch !== lastEpoch || ['SUCCEEDED', 'FAILED', 'CANCELLED', 'STOPPED'].includes(view.state)) {
        lastEpoch = epoch;
        metrics = await api('/api/v1/training-jobs/' + id + '/metrics');
        fill(chartBox, curves(metrics));
        metricTable();
      }
    });
  }
}

// ---------------------------------------------------------------- evaluations and comparisons

async function evaluationsPage() {
  const data = await api('/api/v1/evaluations?size=50');
  const compare = h('button', {id: 'compare', onclick: () => {
    const ids = [...main.querySelectorAll('input[name=pick]:checked')].map(c => c.value);
    if (ids.length < 2 || ids.length > 10) {
      compare.after(h('span', {class: 'error', id: 'compare-error'}, ' pick 2 to 10 SUCCEEDED evaluations'));
      return;
    }
    location.href = '/api/v1/comparisons/report.html?' + ids.map(i => 'evaluationIds=' + i).join('&');
  }}, 'Compare selected');
  page('Evaluations', h('p', {class: 'meta'}, 'Tick two or more finished evaluations to compare them.'), compare,
    h('table', {id: 'evaluations'}, h('tr', {}, ['', 'evaluation', 'state', 'model', 'attacks', 'clean', 'worst case', 'owner', 'submitted', 'report']
      .map(t => h('th', {}, t))),
      data.content.map(e => h('tr', {'data-evaluation': e.id},
        h('td', {}, e.state === 'SUCCEEDED' ? h('input', {type: 'checkbox', name: 'pick', value: e.id}) : ''),
        h('td', {}, h('a', {href: '#/evaluations/' + e.id}, short(e.id))), h('td', {}, stateCell(e.state)),
        h('td', {}, short(e.modelId)), h('td', {}, (e.request && e.request.attacks || []).map(a => a.type + (a.steps ? '-' + a.steps : '')).join(', ')),
        h('td', {class: 'num'}, e.report ? pct(e.report.cleanAccuracy) : '—'),
        h('td', {class: 'num'}, e.report ? e.report.worstCaseAccuracy.map(w => pct(w.accuracy) + ' @' + w.epsilon).join(', ') : fix(e.percent, 0) + '%'),
        h('td', {}, e.owner || ''), h('td', {}, when(e.createdAt)),
        h('td', {}, e.report ? h('a', {href: '/api/v1/evaluations/' + e.id + '/report.html', class: 'report'}, 'report') : '—')))));
}

async function evaluationPage(id) {
  const e = await api('/api/v1/evaluations/' + id);
  const body = [h('p', {}, 'State: ', stateCell(e.state), e.failureReason ? ' — ' + e.failureReason : '', ' · ', fix(e.percent, 0) + '% · model ',
    short(e.modelId), ' · owner ' + (e.owner || '—'))];
  if (e.report) {
    body.push(h('p', {}, h('a', {href: '/api/v1/evaluations/' + id + '/report.html', id: 'report-link'}, 'The full report: attacks, masking checks, features and pictures')));
    body.push(h('table', {}, h('tr', {}, h('th', {}, 'attack'), h('th', {}, 'epsilon'), h('th', {}, 'robust accuracy')),
      h('tr', {}, h('td', {}, 'clean'), h('td', {}, '0'), h('td', {class: 'num'}, pct(e.report.cleanAccuracy))),
      e.report.results.map(r => h('tr', {}, h('td', {}, r.label), h('td', {class: 'num'}, r.epsilon), h('td', {class: 'num'}, pct(r.robustAccuracy))))));
    body.push(h('img', {src: '/api/v1/evaluations/' + id + '/plots/accuracy-vs-epsilon.png', alt: 'accuracy against epsilon'}));
  } else if (['QUEUED', 'RUNNING'].includes(e.state)) {
    timers.push(setTimeout(route, 3000));
  }
  page('Evaluation ' + short(id), ...body);
}

// ---------------------------------------------------------------- sweeps

async function sweepsPage() {
  const data = await api('/api/v1/sweeps?size=50');
  page('Sweeps', h('table', {id: 'sweeps'}, h('tr', {}, ['sweep', 'state', 'strategy', 'members', 'done', 'pruned', 'failed', 'owner', 'submitted']
    .map(t => h('th', {}, t))),
    data.content.map(s => h('tr', {}, h('td', {}, h('a', {href: '#/sweeps/' + s.id}, s.name || short(s.id))), h('td', {}, stateCell(s.state)),
      h('td', {}, s.strategy), h('td', {class: 'num'}, s.progress.members), h('td', {class: 'num'}, s.progress.done),
      h('td', {class: 'num'}, s.progress.pruned), h('td', {class: 'num'}, s.progress.failed), h('td', {}, s.owner || ''), h('td', {}, when(s.createdAt))))));
}

async function sweepPage(id) {
  const s = await api('/api/v1/sweeps/' + id);
  const p = s.progress;
  const body = [h('p', {}, 'State: ', stateCell(s.state), ' · ' + s.strategy + ' · ' + p.members + ' members: ' + p.done + ' done, ' +
    (p.training + p.evaluating + p.pending + p.waiting) + ' active, ' + p.pruned + ' pruned, ' + p.failed + ' failed, ' + p.cancelled + ' cancelled'),
    h('p', {}, h('a', {href: '/api/v1/sweeps/' + id + '/report.html'}, 'Report page'), ' · ',
      h('a', {href: '#/jobs?tag=sweep-' + id.substring(0, 8)}, 'its jobs'), ' · ',
      h('a', {href: '/api/v1/sweeps/' + id + '/results.csv'}, 'CSV'))];
  if (s.halving) {
    body.push(h('h2', {}, 'Successive halving'), h('table', {id: 'rungs'},
      h('tr', {}, ['rung', 'epoch', 'configurations', 'went on', 'pruned'].map(t => h('th', {}, t))),
      s.halving.map(r => h('tr', {}, h('td', {class: 'num'}, r.rung), h('td', {class: 'num'}, r.epochs), h('td', {class: 'num'}, r.configurations),
        h('td', {class: 'num'}, r.decided ? r.continued : 'not decided yet'), h('td', {}, r.pruned.join('; '))))));
  }
  if (p.done > 0) {
    const rows = await api('/api/v1/sweeps/' + id + '/results');
    body.push(h('h2', {}, 'Results (mean ± std over seeds)'), h('table', {id: 'sweep-results'},
      h('tr', {}, ['configuration', 'seeds', 'clean', 'worst case', 'train s', 'Pareto'].map(t => h('th', {}, t))),
      rows.map(r => h('tr', {}, h('td', {}, r.config), h('td', {class: 'num'}, r.seeds.length),
        h('td', {class: 'num'}, pct(r.clean.mean) + ' ± ' + pct(r.clean.std)), h('td', {class: 'num'}, pct(r.worstCase.mean) + ' ± ' + pct(r.worstCase.std)),
        h('td', {class: 'num'}, fix(r.trainSeconds.mean, 1)), h('td', {}, r.pareto ? 'yes' : '')))));
    body.push(h('div', {class: 'charts'}, ['worst-case-vs-lambda', 'clean-vs-worst-case', 'cost-vs-robustness'].map(c =>
      h('img', {src: '/api/v1/sweeps/' + id + '/plots/' + c + '.png', alt: c, 'data-chart': c, width: 560}))));
  }
  body.push(h('h2', {}, 'Members'), h('table', {id: 'members'},
    h('tr', {}, ['#', 'configuration', 'seed', 'state', 'rung', 'job', 'why'].map(t => h('th', {}, t))),
    s.members.map(m => h('tr', {}, h('td', {class: 'num'}, m.position), h('td', {}, m.config), h('td', {class: 'num'}, m.seed === undefined ? '' : m.seed),
      h('td', {}, stateCell(m.state)), h('td', {class: 'num'}, s.halving ? m.rung : ''),
      h('td', {}, m.jobId ? h('a', {href: '#/jobs/' + m.jobId}, short(m.jobId)) : ''), h('td', {}, m.reason || '')))));
  if (s.state === 'RUNNING') {
    body.push(h('button', {id: 'cancel', onclick: async () => { await api('/api/v1/sweeps/' + id + '/cancel', {method: 'POST'}); route(); }}, 'Cancel sweep'));
    timers.push(setTimeout(route, 5000));
  }
  page(s.name || 'Sweep ' + short(id), ...body);
}

// ---------------------------------------------------------------- leaderboard

async function leaderboardPage() {
  const lb = await api('/api/v1/leaderboard');
  // a figure with its 95% interval, e.g. 49.8% [45.3, 54.3]
  const withInterval = (v, i) => [pct(v), i ? h('span', {class: 'meta'}, ' [' + fix(100 * i.lower, 1) + ', ' + fix(100 * i.upper, 1) + ']') : ''];
  const row = r => h('tr', {}, h('td', {class: 'num'}, r.rank || ''),
    h('td', {}, r.jobName ? [h('strong', {}, r.jobName), ' '] : '', r.architecture + ' ' + (r.checkpoint || '')),
    h('td', {}, r.method), h('td', {}, r.owner || ''), h('td', {class: 'num'}, withInterval(r.cleanAccuracy, r.cleanInterval)),
    h('td', {class: 'num'}, h('strong', {}, pct(r.worstCaseAccuracy)), withInterval(null, r.worstCaseInterval).slice(1)),
    h('td', {class: 'num', 'data-field': 'bestKnown'}, r.bestKnownAccuracy == null ? '—' : pct(r.bestKnownAccuracy)),
    h('td', {}, r.budget), h('td', {class: 'num'}, r.testPoints),
    h('td', {'data-field': 'flags'}, (r.flags || []).length ? r.flags.join(', ') : 'none'),
    h('td', {}, h('a', {href: '/api/v1/evaluations/' + r.evaluationId + '/report.html'}, 'report')),
    h('td', {}, r.jobId ? h('a', {href: '#/jobs/' + r.jobId}, 'job') : ''));
  const head = () => h('tr', {}, ['rank', 'model', 'method', 'owner', 'clean [95%]', 'worst case [95%]', 'best known', 'budget',
    'test points', 'failed checks', '', ''].map(t => h('th', {}, t)));
  const boards = lb.boards.map(b => h('section', {'data-board': b.dataset + '@' + b.epsilon},
    h('h2', {}, b.dataset + ', ε = ' + b.epsilon),
    b.ranked.length ? h('table', {class: 'ranked'}, head(), b.ranked.map(row)) : h('p', {class: 'meta'}, 'No model evaluated with the standard budget yet.'),
    b.weaker.length ? [h('h3', {}, 'Evaluated with a weaker budget (not ranked: their worst case may be too high)'),
      h('table', {class: 'weaker'}, head(), b.weaker.map(row))] : null));
  page('Leaderboard', h('p', {class: 'meta'}, 'Ranked by worst-case accuracy, where the worst case includes the ' + lb.standardBudget + '.'),
    boards.length ? boards : h('p', {}, 'No finished evaluation yet.'));
}

// ---------------------------------------------------------------- forms

/** A form whose inputs carry JSON paths; the API's problem is shown next to the fields it names. */
function jsonForm(id, fields, submit) {
  const inputs = {};
  const top = h('div', {});
  const form = h('form', {class: 'form', id, novalidate: true});
  for (const f of fields) {
    const input = f.type === 'checks'
      ? h('span', {class: 'checks', 'data-field': f.path}, f.choices.map(c => h('label', {},
          h('input', {type: 'checkbox', name: f.path, value: c, checked: (f.value || []).includes(c)}), ' ' + c)))
      : f.choices
      ? h('select', {name: f.path}, f.choices.map(c => h('option', {value: c, selected: c === f.value}, c || '(default)')))
      : h('input', {name: f.path, value: f.value === undefined ? '' : f.value, size: f.size || 10, placeholder: f.placeholder || ''});
    inputs[f.path] = {input, f, error: h('span', {class: 'error', 'data-error-for': f.path})};
    // a group of checkboxes has a label of its own for each box (labels do not nest)
    form.append(h(f.type === 'checks' ? 'div' : 'label', {class: 'field'}, h('span', {}, f.label || f.path), input, inputs[f.path].error));
  }
  form.append(h('div', {}, h('button', {type: 'submit'}, 'Submit')), top);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    Object.values(inputs).forEach(x => x.error.textContent = '');
    top.replaceChildren();
    const body = {};
    for (const {input, f} of Object.values(inputs)) {
      let value;
      if (f.type === 'checks') {
        value = [...input.querySelectorAll('input:checked')].map(x => x.value);
        if (value.length === 0) continue;
      } else {
        const raw = input.value.trim();
        if (raw === '') continue;
        value = raw;
        if (f.type === 'number') value = isNaN(Number(raw)) ? raw : Number(raw);
        if (f.type === 'list') value = raw.split(',').map(x => x.trim()).filter(x => x);
        if (f.type === 'list' && f.numbers) value = value.map(x => isNaN(Number(x)) ? x : Number(x));
      }
      const parts = f.path.split('.');
      let o = body;
      for (const k of parts.slice(0, -1)) o = o[k] = o[k] || {};
      o[parts[parts.length - 1]] = value;
    }
    try {
      await submit(body);
    } catch (err) {
      const p = err.problem || {};
      const named = (p.errors || []).concat(p.field ? [{field: p.field, message: p.detail}] : []);
      let shown = false;
      for (const n of named) {
        // a list's element (attacks[0].steps, epsilons[1]) is shown beside the form's field for the list
        const path = n.field && n.field.replace(/\[\d+\]/g, '');
        const target = inputs[n.field] || inputs[path] || Object.values(inputs).find(x => n.field && n.field.startsWith(x.f.path.split('.')[0]) && x.f.path.startsWith(n.field));
        if (target && !target.error.textContent) {
          target.error.textContent = n.message || p.detail;
          shown = true;
        }
      }
      if (!shown) top.append(problemBox(err));
    }
  });
  return form;
}

async function submitPage() {
  let datasets = ['fashion-mnist', 'cifar10', 'cifar100'];
  try { datasets = (await api('/api/v1/datasets')).map(d => d.id); } catch (e) { /* the defaults */ }
  page('Train a model', h('p', {class: 'meta'}, 'Empty fields take the API\'s defaults; the API checks every value and its messages appear beside the fields.'),
    jsonForm('train-form', [
      {path: 'name', size: 24},
      {path: 'dataset', choices: datasets, value: 'fashion-mnist'},
      {path: 'trainSubset', type: 'number', label: 'training images (0: all)'},
      {path: 'model', choices: ['', 'small-cnn', 'resnet18', 'preact-resnet18', 'wrn-28-10', 'wrn-34-10', 'wrn-70-16', 'dm-wrn-28-10', 'dm-wrn-70-16']},
      {path: 'method', choices: ['arr', 'standard', 'pgd-at', 'trades', 'mart', 'fgsm-rs', 'n-fgsm'], value: 'arr'},
      {path: 'lambda', type: 'number'},
      {path: 'divergence', choices: ['', 'kl', 'l2']},
      {path: 'beta', type: 'number', label: 'beta (TRADES, MART)'},
      {path: 'attack.type', choices: ['', 'fgsm', 'pgd'], label: 'inner attack'},
      {path: 'attack.epsilon', type: 'number', label: 'epsilon'},
      {path: 'attack.steps', type: 'number', label: 'attack steps'},
      {path: 'attack.stepSize', type: 'number', label: 'attack step size'},
      {path: 'attack.noise', type: 'number', label: 'noise (N-FGSM)'},
      {path: 'weightPerturbation.gamma', type: 'number', label: 'AWP gamma (ARR, PGD-AT, TRADES, MART)'},
      {path: 'weightPerturbation.warmupEpochs', type: 'number', label: 'AWP warm-up epochs'},
      {path: 'gradAlign.lambda', type: 'number', label: 'GradAlign lambda (fgsm-rs)'},
      {path: 'epochs', type: 'number'},
      {path: 'batchSize', type: 'number'},
      {path: 'optimizer.learningRate', type: 'number', label: 'learning rate'},
      {path: 'validation.size', type: 'number', label: 'validation images'},
      {path: 'validation.pgdSteps', type: 'number', label: 'validation PGD steps'},
      {path: 'seed', type: 'number'},
      {path: 'tags', type: 'list', label: 'tags (comma-separated)', size: 20},
      {path: 'device', choices: ['', 'auto', 'cpu', 'gpu']},
    ], async body => {
      const job = await api('/api/v1/training-jobs', {method: 'POST', body});
      location.hash = '#/jobs/' + job.id;
    }));
}

async function evaluatePage() {
  const q = query();
  page('Evaluate a model', h('p', {class: 'meta'}, 'Every ticked attack runs at every epsilon; the report page then shows the worst case, the masking checks and pictures.'),
    jsonForm('evaluate-form', [
      {path: 'modelId', size: 38, value: q.get('modelId') || '', label: 'model id'},
      {path: 'testSubset', type: 'number', label: 'test points', value: 1000},
      {path: 'attacks.type', type: 'checks', choices: ['fgsm', 'pgd', 'apgd-ce', 'apgd-dlr', 'apgd-t', 'fab', 'fab-t', 'square', 'ensemble'], value: ['pgd'], label: 'attacks'},
      {path: 'epsilons', type: 'list', numbers: true, label: 'epsilons (comma-separated)', value: '0.1'},
      {path: 'attacks.steps', type: 'number', label: 'steps (empty: each attack\'s default)'},
      {path: 'seed', type: 'number'},
    ], async body => {
      // one attack per ticked type, each with the form's steps; the API runs each at every epsilon
      const {type = [], ...common} = body.attacks || {};
      body.attacks = type.length ? type.map(t => ({type: t, ...common})) : [common];
      const ev = await api('/api/v1/evaluations', {method: 'POST', body});
      location.hash = '#/evaluations/' + ev.id;
    }));
}

// ---------------------------------------------------------------- routing

const routes = [
  [/^#\/jobs\/([0-9a-f-]{36})/, m => jobPage(m[1]), 'jobs'],
  [/^#\/jobs/, () => jobsPage(), 'jobs'],
  [/^#\/evaluations\/([0-9a-f-]{36})/, m => evaluationPage(m[1]), 'evaluations'],
  [/^#\/evaluations/, () => evaluationsPage(), 'evaluations'],
  [/^#\/sweeps\/([0-9a-f-]{36})/, m => sweepPage(m[1]), 'sweeps'],
  [/^#\/sweeps/, () => sweepsPage(), 'sweeps'],
  [/^#\/leaderboard/, () => leaderboardPage(), 'leaderboard'],
  [/^#\/submit/, () => submitPage(), 'submit'],
  [/^#\/evaluate/, () => evaluatePage(), 'evaluate'],
];

async function route() {
  streams.forEach(s => s.close());
  streams = [];
  timers.forEach(clearTimeout);
  timers = [];
  const hash = location.hash || '#/jobs';
  for (const [pattern, show, nav] of routes) {
    const m = hash.match(pattern);
    if (m) {
      document.querySelectorAll('header nav a').forEach(a => a.classList.toggle('active', a.dataset.nav === nav));
      try {
        await show(m);
      } catch (e) {
        if (e.status !== 401) page('Something went wrong', problemBox(e));
      }
      return;
    }
  }
  location.hash = '#/jobs';
}

window.addEventListener('hashchange', route);
route();
