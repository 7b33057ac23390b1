/**
 * The player demo page, `/matchmaking/` (reference server): sign in, choose a mode and region, join,
 * wait with the live search window (position, waited time, the rating difference accepted now), and
 * see the match (id, teams, server address) the moment it is made: over the realtime endpoint
 * `matchmaking` (the browser client `plexus/realtime-client`, served with the hub by the `realtime`
 * route group at `/realtime-client/index.js`), with `GET /api/1/matchmaking/status` polled every
 * second while queued as the fallback. No inline script or style (strict CSP), nothing from elsewhere, labelled
 * controls, a live region for changes, 360-px phones first.
 *
 *   GET /matchmaking, /matchmaking/                  the page
 *   GET /matchmaking/assets/style.css | player.js    its stylesheet and script
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses, noQuery, strictObject } from '../../server/routes/schemas.js';

export const MATCHMAKING_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Matchmaking</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/matchmaking/assets/style.css">
<script type="module" src="/matchmaking/assets/player.js"></script>
</head>
<body>
<main id="main">
<h1>Matchmaking</h1>
<p id="connection" class="muted" role="status" data-state="idle">Not connected.</p>
<div id="notice" class="notice" role="alert" hidden></div>

<form id="signin" aria-labelledby="signin-title" hidden>
<h2 id="signin-title">Sign in</h2>
<label for="login">Login</label>
<input id="login" name="login" type="text" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>

<form id="join" aria-labelledby="join-title" hidden>
<h2 id="join-title">Find a match</h2>
<label for="mode">Game mode</label>
<select id="mode" name="mode"></select>
<label for="region">Region</label>
<select id="region" name="region"></select>
<label for="rating">Rating <span class="muted">(optional, 0–5000; your stored rating otherwise)</span></label>
<input id="rating" name="rating" type="number" min="0" max="5000" step="1" inputmode="numeric">
<button type="submit" id="join-button">Join the queue</button>
</form>

<section id="waiting" aria-labelledby="waiting-title" hidden>
<h2 id="waiting-title">Searching…</h2>
<dl class="figures">
<div><dt>Waited</dt><dd id="waited">0 s</dd></div>
<div><dt>Search window</dt><dd id="window">±0</dd></div>
<div><dt>Place in queue</dt><dd id="position">–</dd></div>
</dl>
<button type="button" id="leave" class="secondary">Leave the queue</button>
</section>

<section id="match" aria-labelledby="match-title" hidden>
<h2 id="match-title" tabindex="-1">Match found</h2>
<p>Match <code id="match-id"></code>, <span id="match-state"></span>.</p>
<p>Server: <strong id="match-server"></strong></p>
<ol id="teams" class="teams"></ol>
<p class="muted">Learned <span id="match-via"></span>.</p>
<button type="button" id="again">Find another match</button>
</section>
</main>
</body>
</html>
`;

const STYLE = `
*{box-sizing:border-box}
html{font:18px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;background:#fff}
body{margin:0}
main{max-width:36rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:1.25rem 0 .5rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,select,button{font:inherit;min-height:44px}
input,select{width:100%;padding:.4rem .5rem;border:2px solid #555;border-radius:6px;background:#fff;color:#111}
button{display:inline-block;padding:.5rem 1rem;border:0;border-radius:6px;background:#0b4f8a;color:#fff;font-weight:600;cursor:pointer;margin:.75rem .5rem 0 0}
button.secondary{background:#fff;color:#0b4f8a;border:2px solid #0b4f8a}
button:disabled{background:#666}
:focus-visible{outline:3px solid #c45a00;outline-offset:2px}
.notice{padding:.75rem 1rem;border-radius:6px;border:2px solid #a11;background:#fdecec;color:#6b0000;margin:1rem 0}
.muted{color:#444}
.figures{display:flex;flex-wrap:wrap;gap:1rem 2rem;margin:0}
.figures dt{font-size:.85rem;color:#444}
.figures dd{margin:0;font-size:1.4rem;font-weight:700}
.teams{padding-left:1.5rem}
code{overflow-wrap:anywhere}
[hidden]{display:none!important}
`;

/**
 * The page's script (an ES module, plain JavaScript in a string: no template literals, every text
 * set with textContent).
 */
const PLAYER_JS = `import { createRealtimeClient } from '/realtime-client/index.js';

const API = '/api/1';
const $ = (id) => document.getElementById(id);
let me = null;
let client = null;
let poll = null;
let shown = null;

async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const response = await fetch(API + path, init);
  const type = response.headers.get('content-type') || '';
  return { status: response.status, body: type.indexOf('application/json') === 0 ? await response.json() : null };
}

function notice(text) {
  $('notice').hidden = text === '';
  $('notice').textContent = text;
}

function failure(result) {
  const error = result.body && result.body.error;
  return error ? error.message : 'Something went wrong (HTTP ' + result.status + '). Try again.';
}

function show(section) {
  for (const id of ['signin', 'join', 'waiting', 'match']) $(id).hidden = id !== section;
}

function connection(state, text) {
  $('connection').dataset.state = state;
  $('connection').textContent = text;
}

function fill(select, values) {
  select.replaceChildren();
  for (const value of values) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = value;
    select.append(option);
  }
}

const VIA = {
  websocket: 'over the WebSocket',
  join: 'in the answer to your join (your partner was waiting)',
  status: 'from the status',
  polling: 'by polling the status',
};

// via: how the page learned of this state of the match (websocket, join, status or polling).
function showMatch(match, via) {
  const key = match.id + match.state + (match.server ? match.server.id : '');
  // Already on screen: nothing to redraw. (Shown but hidden since, by an older answer, is drawn again.)
  if (shown === key && !$('match').hidden) {
    if (via === 'websocket') $('match').dataset.websocket = 'yes';
    return;
  }
  shown = key;
  stopPolling();
  show('match');
  $('match').dataset.id = match.id;
  $('match').dataset.state = match.state;
  $('match').dataset.via = via;
  $('match').dataset.websocket = via === 'websocket' ? 'yes' : 'no';
  $('match-id').textContent = match.id;
  $('match-state').textContent =
    match.state === 'assigned' ? 'ready to play' : match.state === 'waiting' ? 'waiting for a game server' : match.state;
  $('match-server').textContent = match.server ? match.server.address : 'not assigned yet';
  $('match-title').textContent = match.state === 'failed' ? 'Match failed: its game server stopped. Join again.' : 'Match found';
  $('match-via').textContent = VIA[via];
  const teams = $('teams');
  teams.replaceChildren();
  const count = Math.max(...match.players.map((p) => p.team)) + 1;
  for (let t = 0; t < count; t++) {
    const item = document.createElement('li');
    const names = match.players
      .filter((p) => p.team === t)
      .map((p) => (p.id === me ? 'you' : p.id) + ' (' + p.rating + ')');
    item.textContent = 'Team ' + (t + 1) + ': ' + names.join(', ');
    teams.append(item);
  }
  $('match-title').focus();
}

function showStatus(status, via) {
  if (status.state === 'matched' && status.match) {
    // Connected: the hub's event is due within moments; the poll only fills in if it never comes.
    if (via === 'polling' && client !== null && client.state === 'open') {
      setTimeout(() => showMatch(status.match, 'polling'), 2000);
      return;
    }
    return showMatch(status.match, via);
  }
  if (status.state === 'queued' || status.state === 'matching') {
    if ($('waiting').hidden) {
      show('waiting');
      $('leave').focus();
    }
    $('waited').textContent = Math.floor((status.waitedMs || 0) / 1000) + ' s';
    $('window').textContent = '±' + Math.round(status.window || 0);
    $('position').textContent = status.position === null ? 'being matched' : String(status.position + 1);
    startPolling();
    return;
  }
  stopPolling();
  show('join');
}

async function refresh(via) {
  const result = await call('GET', '/matchmaking/status');
  if (result.status === 401) {
    stopPolling();
    show('signin');
    return;
  }
  if (result.status !== 200) return notice(failure(result));
  showStatus(result.body, via);
}

function startPolling() {
  if (poll === null) poll = setInterval(() => void refresh('polling'), 1000);
}

function stopPolling() {
  if (poll !== null) clearInterval(poll);
  poll = null;
}

function connect() {
  if (client !== null) return;
  const url = new URL('/api/1/ws/matchmaking', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  client = createRealtimeClient({ url: url.toString() });
  client.on('state', ({ state }) => {
    if (state === 'connecting') connection('connecting', 'Connecting…');
    if (state === 'reconnecting') connection('reconnecting', 'Connection lost; reconnecting (the page keeps checking meanwhile)…');
    if (state === 'closed') connection('closed', 'Not connected; the page checks the queue every second.');
  });
  client.on('open', () => connection('open', 'Connected: you will be told the moment you are matched.'));
  for (const event of ['match.found', 'match.server', 'match.failed', 'match.finished']) {
    client.onMessage(event, (message) => showMatch(message.data.match, 'websocket'));
  }
  client.connect().catch(() => connection('closed', 'Not connected; the page checks the queue every second.'));
}

async function start() {
  const me_ = await call('GET', '/auth/me');
  if (me_.status !== 200) {
    show('signin');
    $('login').focus();
    return;
  }
  me = me_.body.user.id;
  connect();
  const stats = await call('GET', '/matchmaking/stats');
  if (stats.status === 200) {
    fill($('mode'), [...new Set(stats.body.queues.map((q) => q.mode))]);
    fill($('region'), [...new Set(stats.body.queues.map((q) => q.region))]);
  }
  await refresh('status');
}

$('signin').addEventListener('submit', async (event) => {
  event.preventDefault();
  const result = await call('POST', '/auth/login', { login: $('login').value, password: $('password').value });
  if (result.status !== 200) return notice(failure(result));
  notice('');
  await start();
});

$('join').addEventListener('submit', async (event) => {
  event.preventDefault();
  // The hub's match.found may arrive before this answer: showMatch keeps whichever came first.
  shown = null;
  const body = { mode: $('mode').value || undefined, region: $('region').value || undefined };
  if ($('rating').value !== '') body.rating = Number($('rating').value);
  $('join-button').disabled = true;
  const result = await call('POST', '/matchmaking/join', body);
  $('join-button').disabled = false;
  if (result.status !== 200) return notice(failure(result));
  notice('');
  // The match came over the hub while this answer (computed before it) was on its way: keep it.
  if (shown !== null && result.body.state !== 'matched') return;
  showStatus(result.body, 'join');
});

$('leave').addEventListener('click', async () => {
  const result = await call('POST', '/matchmaking/leave');
  if (result.status !== 200) notice(failure(result));
  await refresh('status');
});

$('again').addEventListener('click', () => {
  shown = null;
  show('join');
  $('mode').focus();
});

void start();
`;

function send(reply: FastifyReply, type: string, body: string): FastifyReply {
  return reply
    .type(type)
    .header('content-security-policy', MATCHMAKING_PAGE_CSP)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(body);
}

const ASSETS: Record<string, { type: string; body: string }> = {
  'style.css': { type: 'text/css; charset=utf-8', body: STYLE },
  'player.js': { type: 'text/javascript; charset=utf-8', body: PLAYER_JS },
};

export function matchmakingPageRoutes(app: FastifyInstance): void {
  const schema = {
    tags: ['matchmaking pages'],
    querystring: noQuery,
    produces: ['text/html'],
    response: errorResponses,
  };
  for (const url of ['/matchmaking', '/matchmaking/']) {
    app.get(url, { schema }, (_request, reply) => send(reply, 'text/html; charset=utf-8', HTML));
  }
  app.get<{ Params: { file: string } }>(
    '/matchmaking/assets/:file',
    {
      schema: {
        tags: ['matchmaking pages'],
        querystring: noQuery,
        params: strictObject({ file: { type: 'string', enum: Object.keys(ASSETS) } }),
        response: errorResponses,
      },
    },
    (request, reply) => {
      const asset = ASSETS[request.params.file]!;
      return send(reply, asset.type, asset.body);
    },
  );
}
