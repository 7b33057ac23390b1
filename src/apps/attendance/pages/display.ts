/**
 * The projector page: the big rotating code (an SVG from the QR app's renderer), the session's
 * name and room, the live count and the time left. It polls the ETag'd display status (a 304
 * while nothing changed) every second and right after each window ends; a failed poll (the
 * instance it reached died) is retried against the same URL, which a load balancer sends to a
 * live instance.
 */
import { escapeHtml, page } from './shell.js';

export function displayPage(sessionId: string): string {
  return page({
    title: 'Roll call',
    className: 'display',
    data: { session: sessionId },
    scripts: ['display'],
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

export const DISPLAY_JS = `'use strict';
(function () {
  var main = document.getElementById('main');
  var id = main.dataset.session;
  var img = document.getElementById('code');
  var state = document.getElementById('state');
  var etag = null, status = null, offset = 0, shownWindow = -1, timer = null, stopped = false;
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function render() {
    document.getElementById('name').textContent = status.name;
    document.getElementById('room').textContent = 'Room ' + status.room;
    document.getElementById('count').textContent = String(status.count);
    document.title = 'Roll call: ' + status.name;
    if (status.window !== shownWindow) {
      shownWindow = status.window;
      img.src = '/api/1/attendance/sessions/' + id + '/code.svg?w=' + status.window;
      img.dataset.window = String(status.window);
      img.dataset.url = status.url;
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
    if (stopped) return;
    var next = 1000;
    if (status) next = Math.min(next, Math.max(50, status.codeExpiresAt - (Date.now() + offset) + 30));
    timer = setTimeout(poll, next);
  }
  async function poll() {
    try {
      var result = await Att.call('GET', '/attendance/sessions/' + id + '/display', undefined, etag ? { 'if-none-match': etag } : {});
      if (result.status === 401 || result.status === 403) {
        stopped = true;
        img.hidden = true;
        Att.signIn(document.getElementById('signin'), 'The display needs a staff account.', function () { stopped = false; poll(); });
        return;
      }
      if (result.status === 200) {
        etag = result.etag;
        status = result.body;
        offset = status.now - Date.now();
        render();
      } else if (result.status !== 304) {
        state.textContent = Att.message(result);
      }
      if (status && status.open) state.textContent = '';
    } catch (error) {
      state.textContent = 'Connection lost, retrying…';
    }
    schedule();
  }
  setInterval(tick, 250);
  poll();
})();
`;
