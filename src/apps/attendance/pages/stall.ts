/**
 * The volunteer's stall page (seed 001): scans students' static QR codes with the phone camera
 * (jsQR, served from this server), or takes a code typed in, and checks the student in or out of
 * the stall. Each scan gets a random id that is sent again if the request fails, so a scan retried
 * after a network error is counted once. Shows the student's name and state, and the stall's
 * occupancy and visit count.
 */
import { page } from './shell.js';

export function stallPage(stallId: string): string {
  return page({
    title: 'Stall scanner',
    data: { stall: stallId },
    scripts: ['jsqr', 'stall'],
    body: `<h1 id="title">Stall scanner</h1>
<div id="signin"></div>
<div id="app" hidden>
<p><strong id="occupancy">0</strong> in the stall now, <strong id="visits">0</strong> visits.</p>
<video id="video" playsinline muted aria-label="Camera view for scanning student codes"></video>
<button id="camera" type="button">Start camera</button>
<p id="result" role="status" aria-live="assertive" hidden></p>
<form id="manual">
<label for="token">Or type the student code</label>
<input id="token" name="token" type="text" required maxlength="1024" autocomplete="off">
<label for="action">Action</label>
<select id="action" name="action"><option value="toggle">Check in or out</option><option value="in">Check in</option><option value="out">Check out</option></select>
<button type="submit">Submit</button>
</form>
</div>`,
  });
}

export const STALL_JS = `'use strict';
(function () {
  var stall = document.getElementById('main').dataset.stall;
  var result = document.getElementById('result');
  var video = document.getElementById('video');
  var canvas = document.createElement('canvas');
  var context = canvas.getContext('2d', { willReadFrequently: true });
  var last = { token: null, at: 0 };
  var busy = false;
  async function stats() {
    var answer = await Att.call('GET', '/attendance/stalls/' + encodeURIComponent(stall));
    if (answer.status === 401 || answer.status === 403) {
      document.getElementById('app').hidden = true;
      return Att.signIn(document.getElementById('signin'), 'Sign in with a volunteer account.', stats);
    }
    if (answer.status !== 200) return Att.notice(result, 'error', Att.message(answer));
    document.getElementById('app').hidden = false;
    document.getElementById('title').textContent = 'Stall: ' + answer.body.name;
    document.getElementById('occupancy').textContent = String(answer.body.occupancy);
    document.getElementById('visits').textContent = String(answer.body.visits);
  }
  async function scan(token, action) {
    var body = { scanId: Att.randomId(), token: token, action: action || 'toggle' };
    for (var attempt = 0; attempt < 4; attempt++) {
      try {
        var answer = await Att.call('POST', '/attendance/stalls/' + encodeURIComponent(stall) + '/scans', body);
        if (answer.status === 200) {
          var r = answer.body;
          var text = r.student.name + ' (' + r.student.id + ') is now ' + (r.state === 'in' ? 'checked in' : 'checked out') + '.';
          if (r.movedFrom) text += ' Checked out of stall ' + r.movedFrom + '.';
          Att.notice(result, 'ok', text);
          result.dataset.student = r.student.id;
          result.dataset.state = r.state;
          stats();
        } else Att.notice(result, 'error', Att.message(answer));
        return;
      } catch (error) {
        Att.notice(result, 'error', 'Network error, retrying…');
        await new Promise(function (resolve) { setTimeout(resolve, 500 * (attempt + 1)); });
      }
    }
    Att.notice(result, 'error', 'Could not reach the server. Scan again.');
  }
  function frame() {
    if (video.readyState >= 2 && !busy) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
      var now = Date.now();
      if (found && found.data && !(found.data === last.token && now - last.at < 3000)) {
        last = { token: found.data, at: now };
        busy = true;
        scan(found.data).finally(function () { busy = false; });
      }
    }
    setTimeout(frame, 200);
  }
  document.getElementById('camera').addEventListener('click', async function () {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      await video.play();
      document.getElementById('camera').hidden = true;
      frame();
    } catch (error) {
      Att.notice(result, 'error', 'The camera is not available: type the code instead.');
    }
  });
  document.getElementById('manual').addEventListener('submit', function (event) {
    event.preventDefault();
    scan(event.target.token.value.trim(), event.target.action.value);
    event.target.token.value = '';
  });
  stats();
})();
`;
