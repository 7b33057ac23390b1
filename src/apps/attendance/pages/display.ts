/**
 * The projector page: the big rotating code (an SVG from the QR app's renderer), the session's
 * name and room, the live count and the time left.
 *
 * Live: a WebSocket to the app's realtime endpoint (`attendance`, room `session:<id>`, through the
 * realtime client served at /realtime-client/): `rotation` messages change the code, `checkin`
 * messages the count. The client reconnects through the same URL (a load balancer sends it to a
 * live instance) and recovers the room's missed messages by offset. While the socket is open the
 * page still asks for the status when a window ends without its rotation message (1.5 s late) and
 * every 15 s; while it is down (or refused), it polls the ETag'd status (a 304 while nothing
 * changed) every second and right after each window ends. `<main>` carries `data-realtime` (the
 * socket's state) and `data-instance` (the instance it is connected to); the code and the count
 * carry `data-via` (`realtime` or `poll`, what changed them last).
 *
 * Opened with a display link (`#link=<token>` in the URL, ../display-links.ts), the page needs no
 * sign-in: it reads the status and the image through the link's routes and connects to the
 * `attendance-display` endpoint with a connection token the link obtains at every attempt, where it
 * hears its session's rotations and counts without joining a room. A refused or revoked link stops
 * the page with a notice; `<main>` then carries `data-link="invalid"`.
 */
import { escapeHtml, page } from './shell.js';

export function displayPage(sessionId: string): string {
  return page({
    title: 'Roll call',
    className: 'display',
    data: { session: sessionId },
    scripts: [],
    modules: ['display'],
    body: `<h1 id="name">Roll call</h1>
<p id="room" class="muted"></p>
<div id="signin"></div>
<img id="code" class="code" alt="Roll-call QR code: scan it with your phone to check in" hidden>
<div class="figures">
<p class="figure">Checked in <strong id="count" aria-live="polite">0</strong></p>
<p class="figure">Time left <strong id="left">--:--</strong></p>
</div>
<p id="state" role="status" class="muted"></p>
<noscript>This page needs JavaScript to show the code.</noscript>
<p class="visually-hidden">Session ${escapeHtml(sessionId)}</p>`,
  });
}

export const DISPLAY_JS = `import { createRealtimeClient } from '/realtime-client/index.js';
(function () {
  'use strict';
  var main = document.getElementById('main');
  var id = main.dataset.session;
  var img = document.getElementById('code');
  var countEl = document.getElementById('count');
  var state = document.getElementById('state');
  var etag = null, status = null, offset = 0, shownWindow = -1, timer = null, stopped = false, live = false;
  var link = new URLSearchParams(location.hash.slice(1)).get('link');
  var base = link ? '/attendance/display-links/' + encodeURIComponent(link) : '/attendance/sessions/' + id;
  function linkInvalid() {
    stopped = true;
    clearTimeout(timer);
    img.hidden = true;
    main.dataset.link = 'invalid';
    state.textContent = 'This display link is no longer valid. Ask staff for a new one.';
    client.close();
  }
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function render(via) {
    document.getElementById('name').textContent = status.name;
    document.getElementById('room').textContent = 'Room ' + status.room;
    if (countEl.textContent !== String(status.count)) {
      countEl.textContent = String(status.count);
      countEl.dataset.via = via;
    }
    document.title = 'Roll call: ' + status.name;
    if (status.window !== shownWindow) {
      shownWindow = status.window;
      img.src = '/api/1' + base + '/code.svg?w=' + status.window;
      img.dataset.window = String(status.window);
      img.dataset.url = status.url;
      img.dataset.via = via;
    }
    img.hidden = !status.open;
    state.textContent = status.open ? '' : 'This roll call is closed.';
  }
  function tick() {
    if (status) {
      var left = Math.max(0, status.endsAt - (Date.now() + offset));
      var s = Math.floor(left / 1000);
      document.getElementById('left').textContent = Math.floor(s / 60) + ':' + two(s % 60);
    }
  }
  function schedule() {
    clearTimeout(timer);
    if (stopped) return;
    var toWindowEnd = status ? status.codeExpiresAt - (Date.now() + offset) : 0;
    // Live: only when a rotation message is late, and now and then; else every second and at each window's end.
    var next = live ? Math.min(15000, Math.max(50, toWindowEnd + 1500)) : Math.min(1000, Math.max(50, toWindowEnd + 30));
    timer = setTimeout(poll, next);
  }
  async function poll() {
    clearTimeout(timer);
    if (main.dataset.link === 'invalid') return;
    try {
      var result = await Att.call('GET', base + '/display', undefined, etag ? { 'if-none-match': etag } : {});
      if (link && (result.status === 401 || result.status === 404)) {
        linkInvalid();
        return;
      }
      if (result.status === 401 || result.status === 403) {
        stopped = true;
        img.hidden = true;
        Att.signIn(document.getElementById('signin'), 'The display needs a staff account.', function () { stopped = false; poll(); });
        return;
      }
      if (result.status === 200) {
        etag = result.etag;
        var fresh = result.body;
        // A rotation message may have shown a newer window than this answer (they crossed).
        if (status && status.window > fresh.window) {
          fresh.window = status.window; fresh.code = status.code; fresh.url = status.url; fresh.codeExpiresAt = status.codeExpiresAt;
        }
        status = fresh;
        offset = status.now - Date.now();
        render('poll');
      } else if (result.status !== 304) {
        state.textContent = Att.message(result);
      }
      if (status && status.open) state.textContent = '';
    } catch (error) {
      state.textContent = 'Connection lost, retrying…';
    }
    schedule();
  }
  var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  var options = { url: scheme + location.host + '/api/1/ws/attendance', backoff: { initialMs: 250, maxMs: 5000 } };
  if (link) {
    options.url = scheme + location.host + '/api/1/ws/attendance-display';
    options.token = async function () {
      var issued = await Att.call('POST', base + '/ws-token');
      if (issued.status !== 200) {
        if (issued.status === 401 || issued.status === 404) linkInvalid();
        throw new Error('no connection token (HTTP ' + issued.status + ')');
      }
      return issued.body.token;
    };
  }
  var client = createRealtimeClient(options);
  client.onMessage('rotation', function (m) {
    if (!status || m.data.window <= status.window) return;
    status.window = m.data.window;
    status.code = m.data.code;
    status.url = location.origin + '/attendance/c/' + m.data.code;
    status.codeExpiresAt = m.data.expiresAt;
    render('realtime');
    schedule();
  });
  client.onMessage('checkin', function (m) {
    if (!status) return;
    status.count = m.data.count;
    render('realtime');
  });
  client.on('state', function (change) {
    main.dataset.realtime = change.state;
    var wasLive = live;
    live = change.state === 'open';
    if (live && client.welcome) main.dataset.instance = client.welcome.instance;
    if (wasLive && !live) poll();
  });
  client.on('open', function (event) { if (event.reconnected) poll(); });
  client.on('resync', function () { poll(); });
  client.onMessage('revoked', function () { linkInvalid(); });
  client.on('error', function () {});
  client.connect().catch(function () {});
  if (!link) client.join('session:' + id).catch(function () {});
  setInterval(tick, 250);
  poll();
})();
`;
