/**
 * The hello-app-cluster page (seed 004's demonstration): the value, the instance serving it, a
 * sign-in form, and for admins a form that changes it. No inline script or style (strict CSP).
 */
import { HELLO_COLLECTION, HELLO_KEY } from './live.js';

export const HELLO_PATH = '/hello-app-cluster';

export function helloPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Hello, app cluster · Plexus</title>
<link rel="stylesheet" href="${HELLO_PATH}/style.css">
<script type="module" src="${HELLO_PATH}/js/hello-app-cluster.js"></script>
</head>
<body>
<header>
  <h1>Hello, app cluster</h1>
  <p class="muted">A configuration value (<code>${HELLO_COLLECTION}/${HELLO_KEY}</code> in
  <code>plexus.settings</code>) changed on one instance appears on every instance's page, without a
  reload: the change is written to the database and Redis, and the refresh broadcast on
  <code>plexus.bus</code> tells every instance, which reads it again and pushes it to its pages.</p>
  <p id="status" role="status" data-state="connecting">Connecting…</p>
</header>
<main>
<section aria-labelledby="value-heading">
  <h2 id="value-heading">Current value</h2>
  <p id="value" class="value" aria-live="polite" data-version="">…</p>
  <dl>
    <dt>Served by instance</dt><dd id="instance">–</dd>
    <dt>Version</dt><dd id="version">–</dd>
    <dt>Changed by</dt><dd id="updated-by">–</dd>
    <dt>Changed at</dt><dd id="updated-at">–</dd>
  </dl>
</section>
<section aria-labelledby="change-heading">
  <h2 id="change-heading">Change it</h2>
  <form id="login-form" hidden>
    <p class="muted">Only an administrator may change the value. Sign in:</p>
    <div class="field"><label for="login">Login</label><input id="login" name="login" required maxlength="254" autocomplete="username"></div>
    <div class="field"><label for="password">Password</label><input id="password" name="password" type="password" required maxlength="1024" autocomplete="current-password"></div>
    <button type="submit">Sign in</button>
  </form>
  <form id="change-form" hidden>
    <div class="field"><label for="new-value">New value</label><input id="new-value" name="value" required maxlength="200" autocomplete="off"></div>
    <button type="submit">Save on this instance</button>
  </form>
  <p id="result" role="status" aria-live="polite" class="muted"></p>
</section>
<section aria-labelledby="log-heading">
  <h2 id="log-heading">Changes seen by this page</h2>
  <ol id="log" class="log" role="log" aria-live="polite" aria-label="Changes seen by this page"></ol>
</section>
</main>
</body>
</html>
`;
}
