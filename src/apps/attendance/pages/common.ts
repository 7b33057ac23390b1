/**
 * Script shared by the pages (`window.Att`): JSON calls to the API with the session cookie, the
 * sign-in form, and messages for the errors a page shows. Plain ES2020, no template literals (it
 * lives in a TypeScript string), every text set with textContent.
 */
export const COMMON_JS = `'use strict';
(function () {
  var API = '/api/1';
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) node.setAttribute(name, attrs[name]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  async function call(method, path, body, headers) {
    var init = { method: method, credentials: 'same-origin', headers: Object.assign({}, headers || {}) };
    if (body instanceof Blob) {
      init.body = body;
      init.headers['content-type'] = body.type || 'application/octet-stream';
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
    var response = await fetch(API + path, init);
    var data = null;
    if ((response.headers.get('content-type') || '').indexOf('application/json') === 0) data = await response.json();
    return { status: response.status, body: data, etag: response.headers.get('etag') };
  }
  var MESSAGES = {
    ATTENDANCE_CODE_EXPIRED: 'This code has expired. Scan the code on the screen again.',
    ATTENDANCE_CODE_INVALID: 'This is not a valid roll-call code.',
    ATTENDANCE_SESSION_CLOSED: 'This roll call is closed.',
    ATTENDANCE_DEVICE_USED: 'This phone has already checked in another student to this roll call.',
    ATTENDANCE_PHOTO_REQUIRED: 'This roll call needs a photo. Take one, then check in.',
    ATTENDANCE_PHOTO_INVALID: 'The photo must be a JPEG, PNG or WebP image and not too large.',
    ATTENDANCE_FORBIDDEN: 'Your account may not do this.',
    ATTENDANCE_STUDENT_CODE_INVALID: 'This is not a valid student code.',
    ATTENDANCE_NOT_FOUND: 'Not found.',
    AUTH_REQUIRED: 'Please sign in.',
    INVALID_CREDENTIALS: 'Wrong login or password.',
    LOGIN_RATE_LIMITED: 'Too many attempts. Wait a minute and try again.'
  };
  function message(result) {
    var error = result.body && result.body.error;
    if (!error) return 'Something went wrong (HTTP ' + result.status + '). Try again.';
    return MESSAGES[error.code] || error.message;
  }
  function notice(target, kind, text) {
    target.hidden = false;
    target.className = 'notice ' + kind;
    target.textContent = text;
  }
  function signIn(container, why, done) {
    container.replaceChildren();
    var form = el('form', { 'aria-labelledby': 'signin-title' });
    form.append(el('h2', { id: 'signin-title' }, 'Sign in'));
    if (why) form.append(el('p', { class: 'muted' }, why));
    form.append(el('label', { for: 'login' }, 'Login'));
    form.append(el('input', { id: 'login', name: 'login', type: 'text', autocomplete: 'username', required: '' }));
    form.append(el('label', { for: 'password' }, 'Password'));
    form.append(el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: '' }));
    form.append(el('button', { type: 'submit' }, 'Sign in'));
    var status = el('p', { role: 'alert', hidden: '' });
    form.append(status);
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      var result = await call('POST', '/auth/login', { login: form.login.value, password: form.password.value });
      if (result.status === 200) {
        container.replaceChildren();
        done();
      } else notice(status, 'error', message(result));
    });
    container.append(form);
    form.login.focus();
  }
  function randomId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return (b % 36).toString(36); }).join('');
  }
  window.Att = { call: call, el: el, message: message, notice: notice, signIn: signIn, randomId: randomId };
})();
`;
