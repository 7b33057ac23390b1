/**
 * The staff page: courses, opening a roll call (room, length, photo required, late after N
 * minutes), recent sessions with their display link, and one session's check-ins (paged with the
 * API's cursor; late and flagged devices shown), manual marks with a reason, CSV export, a display
 * link for a projector that is not signed in (../display-links.ts), and close.
 * Live: the page follows the shown session's room on the app's realtime endpoint (`checkin`
 * messages: new check-ins and marks, and the count), recovering missed messages by offset after a
 * reconnect; while the socket is down it reloads the list every 5 seconds instead. `<main>` carries
 * `data-realtime` (the socket's state).
 */
import { page } from './shell.js';

export function staffPage(): string {
  return page({
    title: 'Attendance: staff',
    data: {},
    scripts: [],
    modules: ['staff'],
    body: `<h1>Attendance</h1>
<div id="signin"></div>
<div id="app" hidden>
<section aria-labelledby="course-title">
<h2 id="course-title">New course</h2>
<form id="course-form">
<label for="course-name">Course name</label>
<input id="course-name" name="name" type="text" required maxlength="200">
<button type="submit">Add course</button>
</form>
</section>
<section aria-labelledby="open-title">
<h2 id="open-title">Open a roll call</h2>
<form id="open-form">
<label for="open-course">Course</label>
<select id="open-course" name="course" required></select>
<label for="open-room">Room</label>
<input id="open-room" name="room" type="text" required maxlength="100">
<label for="open-minutes">Length in minutes</label>
<input id="open-minutes" name="minutes" type="number" min="1" max="600" value="60" required>
<label for="open-late">Late after (minutes, empty for never)</label>
<input id="open-late" name="late" type="number" min="0" max="1440">
<label class="check" for="open-photo"><input id="open-photo" name="photo" type="checkbox">Photo required</label>
<button type="submit">Open roll call</button>
</form>
</section>
<section aria-labelledby="sessions-title">
<h2 id="sessions-title">Roll calls</h2>
<ul id="sessions"></ul>
</section>
<section id="detail" aria-labelledby="detail-title" hidden>
<h2 id="detail-title">Check-ins</h2>
<p><strong id="detail-count">0</strong> present. <a id="csv" class="button" href="#">Export CSV</a>
<a id="display-link" class="button" href="#">Open display</a>
<button id="new-display-link" type="button" class="secondary">Create display link</button>
<button id="close" type="button" class="secondary">Close roll call</button></p>
<p id="display-link-out" hidden><label for="display-link-url">Display link for a projector (no sign-in; valid until the roll call ends)</label>
<input id="display-link-url" type="text" readonly></p>
<table><caption class="visually-hidden">Check-ins</caption>
<thead><tr><th scope="col">Student</th><th scope="col">Time</th><th scope="col">Status</th><th scope="col">Notes</th></tr></thead>
<tbody id="checkins"></tbody></table>
<button id="more" type="button" class="secondary" hidden>Load more</button>
<form id="mark-form">
<h3>Mark a student</h3>
<label for="mark-student">Student id</label>
<input id="mark-student" name="student" type="text" required maxlength="64">
<label for="mark-status">Status</label>
<select id="mark-status" name="status"><option value="present">Present</option><option value="absent">Absent</option></select>
<label for="mark-reason">Reason</label>
<input id="mark-reason" name="reason" type="text" required maxlength="500">
<button type="submit">Save</button>
</form>
</section>
<p id="status" role="status" aria-live="polite" hidden></p>
</div>`,
  });
}

export const STAFF_JS = `import { createRealtimeClient } from '/realtime-client/index.js';
(function () {
  'use strict';
  var main = document.getElementById('main');
  var app = document.getElementById('app');
  var status = document.getElementById('status');
  var current = null, cursor = null, refresh = null, live = false;
  var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  var client = createRealtimeClient({ url: scheme + location.host + '/api/1/ws/attendance', backoff: { initialMs: 250, maxMs: 5000 } });
  client.on('state', function (change) {
    main.dataset.realtime = change.state;
    var wasLive = live;
    live = change.state === 'open';
    if (wasLive && !live && current && !cursor) loadCheckins(true);
  });
  client.on('resync', function () { if (current && !cursor) loadCheckins(true); });
  client.on('error', function () {});
  client.onMessage('checkin', function (m) {
    if (!current || m.stream !== 'room:session:' + current.id) return;
    document.getElementById('detail-count').textContent = String(m.data.count);
    // Appended only when the whole list is shown; else it comes with the next page.
    m.data.checkins.forEach(function (c) { show(c, !cursor); });
  });
  function show(c, append) {
    var body = document.getElementById('checkins');
    var shown = body.querySelector('tr[data-student="' + CSS.escape(c.studentId) + '"]');
    if (shown) shown.replaceWith(row(c));
    else if (append) body.append(row(c));
  }
  client.connect().catch(function () {});
  function fail(result) { Att.notice(status, 'error', Att.message(result)); }
  function when(ms) { return new Date(ms).toLocaleString(); }
  async function loadCourses() {
    var result = await Att.call('GET', '/attendance/courses');
    if (result.status === 401 || result.status === 403) {
      app.hidden = true;
      return Att.signIn(document.getElementById('signin'), 'Sign in with a staff account.', loadCourses);
    }
    if (result.status !== 200) return fail(result);
    app.hidden = false;
    var select = document.getElementById('open-course');
    select.replaceChildren();
    result.body.items.forEach(function (c) { select.append(Att.el('option', { value: c.id }, c.name)); });
    await loadSessions();
  }
  async function loadSessions() {
    var result = await Att.call('GET', '/attendance/sessions?limit=20');
    if (result.status !== 200) return fail(result);
    var list = document.getElementById('sessions');
    list.replaceChildren();
    result.body.items.forEach(function (s) {
      var item = Att.el('li');
      var open = s.closedAt === null && s.endsAt > Date.now();
      var button = Att.el('button', { type: 'button', class: 'secondary' }, s.courseName + ', room ' + s.room + ' (' + when(s.startsAt) + (open ? ', open' : ', closed') + ')');
      button.addEventListener('click', function () { showSession(s); });
      item.append(button);
      list.append(item);
    });
  }
  function row(c) {
    var notes = [];
    if (c.late) notes.push('late');
    if (c.flagged) notes.push('flagged device');
    if (c.source === 'manual') notes.push('marked: ' + (c.reason || ''));
    if (c.photoId) notes.push('photo');
    var tr = Att.el('tr', { 'data-student': c.studentId });
    tr.append(Att.el('td', {}, c.studentId), Att.el('td', {}, new Date(c.at).toLocaleTimeString()), Att.el('td', {}, c.status), Att.el('td', {}, notes.join(', ')));
    if (c.photoId) {
      var link = Att.el('a', { href: '/api/1/attendance/photos/' + c.photoId, target: '_blank', rel: 'noopener' }, 'view photo');
      tr.lastChild.append(' ', link);
    }
    return tr;
  }
  async function loadCheckins(reset) {
    if (reset) { cursor = null; document.getElementById('checkins').replaceChildren(); }
    var path = '/attendance/sessions/' + current.id + '/checkins?limit=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    var result = await Att.call('GET', path);
    if (result.status !== 200) return fail(result);
    result.body.items.forEach(function (c) { show(c, true); });
    cursor = result.body.next;
    document.getElementById('more').hidden = !cursor;
    var info = await Att.call('GET', '/attendance/sessions/' + current.id);
    if (info.status === 200) document.getElementById('detail-count').textContent = String(info.body.count);
  }
  function showSession(s) {
    if (current && current.id !== s.id) client.leave('session:' + current.id).catch(function () {});
    current = s;
    client.join('session:' + s.id).catch(function () {});
    document.getElementById('detail').hidden = false;
    document.getElementById('detail-title').textContent = 'Check-ins: ' + s.courseName + ', room ' + s.room;
    document.getElementById('csv').href = '/api/1/attendance/sessions/' + s.id + '/checkins.csv';
    document.getElementById('display-link').href = '/attendance/display/' + s.id;
    document.getElementById('display-link-out').hidden = true;
    loadCheckins(true);
    clearInterval(refresh);
    refresh = setInterval(function () { if (!live && !cursor) loadCheckins(true); }, 5000);
    document.getElementById('detail-title').focus();
  }
  document.getElementById('detail-title').tabIndex = -1;
  document.getElementById('more').addEventListener('click', function () { loadCheckins(false); });
  document.getElementById('new-display-link').addEventListener('click', async function () {
    var result = await Att.call('POST', '/attendance/sessions/' + current.id + '/display-links');
    if (result.status !== 200) return fail(result);
    var out = document.getElementById('display-link-url');
    out.value = result.body.url;
    document.getElementById('display-link-out').hidden = false;
    out.focus();
    out.select();
  });
  document.getElementById('close').addEventListener('click', async function () {
    var result = await Att.call('POST', '/attendance/sessions/' + current.id + '/close');
    if (result.status !== 200) return fail(result);
    Att.notice(status, 'ok', 'Roll call closed.');
    loadSessions();
  });
  document.getElementById('course-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var result = await Att.call('POST', '/attendance/courses', { name: event.target.name.value });
    if (result.status !== 200) return fail(result);
    event.target.reset();
    Att.notice(status, 'ok', 'Course added.');
    loadCourses();
  });
  document.getElementById('open-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var f = event.target;
    var now = Date.now();
    var body = { courseId: f.course.value, room: f.room.value, startsAt: now, endsAt: now + Number(f.minutes.value) * 60000, photoRequired: f.photo.checked };
    if (f.late.value !== '') body.lateAfterMinutes = Number(f.late.value);
    var result = await Att.call('POST', '/attendance/sessions', body);
    if (result.status !== 200) return fail(result);
    Att.notice(status, 'ok', 'Roll call opened.');
    await loadSessions();
    showSession(result.body);
  });
  document.getElementById('mark-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var f = event.target;
    var result = await Att.call('PUT', '/attendance/sessions/' + current.id + '/checkins/' + encodeURIComponent(f.student.value), { status: f.status.value, reason: f.reason.value });
    if (result.status !== 200) return fail(result);
    f.reset();
    Att.notice(status, 'ok', 'Saved.');
    loadCheckins(true);
  });
  loadCourses();
})();
`;
