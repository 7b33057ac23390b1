/**
 * The student's check-in page, opened from the rotating code on a phone. It asks the API what
 * the code is for (and, when signed in, gets a ticket so a photo may take longer than the code
 * lives), checks in at once when no photo is required, else asks for one (the phone camera
 * through a file input with `capture`), and shows the result or why the code was refused.
 */
import { page } from './shell.js';

export function studentPage(code: string): string {
  return page({
    title: 'Check in',
    data: { code },
    scripts: ['student'],
    body: `<h1 id="title">Check in</h1>
<p id="about" class="muted"></p>
<div id="signin"></div>
<form id="photo-form" hidden>
<label for="photo">Take a photo of yourself in the room</label>
<input id="photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp" capture="user" required>
<button type="submit">Check in with this photo</button>
</form>
<p id="result" role="status" aria-live="polite" hidden></p>
<noscript>This page needs JavaScript.</noscript>`,
  });
}

export const STUDENT_JS = `'use strict';
(function () {
  var code = document.getElementById('main').dataset.code;
  var result = document.getElementById('result');
  var form = document.getElementById('photo-form');
  var ticket = null;
  function show(kind, text) { Att.notice(result, kind, text); }
  async function checkIn(photoId) {
    var body = { code: ticket };
    if (photoId) body.photoId = photoId;
    var answer = await Att.call('POST', '/attendance/checkins', body);
    if (answer.status === 200) {
      var c = answer.body.checkin;
      var at = new Date(c.at).toLocaleTimeString();
      form.hidden = true;
      show('ok', (answer.body.duplicate ? 'You were already checked in at ' : 'Checked in at ') + at + (c.late ? ' (late).' : '.'));
    } else show('error', Att.message(answer));
  }
  async function start() {
    var answer = await Att.call('GET', '/attendance/codes/' + encodeURIComponent(code));
    if (answer.status !== 200) return show('error', Att.message(answer));
    var info = answer.body;
    if (info.session) {
      document.getElementById('title').textContent = 'Check in: ' + info.session.name;
      document.getElementById('about').textContent = 'Room ' + info.session.room;
    }
    if (!info.valid) {
      var reasons = {
        expired: 'This code has expired. Scan the code on the screen again.',
        closed: 'This roll call is closed.',
        forged: 'This is not a valid roll-call code.',
        malformed: 'This is not a valid roll-call code.'
      };
      return show('error', reasons[info.reason] || 'This code cannot be used.');
    }
    if (!info.ticket) {
      return Att.signIn(document.getElementById('signin'), 'Sign in with your student account to check in.', start);
    }
    ticket = info.ticket;
    if (!info.session.photoRequired) return checkIn();
    form.hidden = false;
    document.getElementById('photo').focus();
  }
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    var file = document.getElementById('photo').files[0];
    if (!file) return show('error', 'Take a photo first.');
    var upload = await Att.call('POST', '/attendance/photos', file);
    if (upload.status !== 200) return show('error', Att.message(upload));
    await checkIn(upload.body.id);
  });
  start().catch(function () { show('error', 'Connection lost. Reload the page to try again.'); });
})();
`;
