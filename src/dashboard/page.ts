/**
 * The HTML of `/admin`: a shell with the sign-in forms and the empty sections the script fills.
 * Nothing in it is data: it is served to anyone, and the script asks the admin routes for the rest.
 */
export const DASHBOARD_PATH = '/admin';
export const ASSETS_PATH = '/admin/assets';

/** Nothing from elsewhere, no inline script or style; uPlot sets styles through the CSSOM only. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function pageHtml(versions: { js: string; css: string }): string {
  const v = (etag: string) => encodeURIComponent(etag.replace(/"/g, ''));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plexus admin</title>
<link rel="stylesheet" href="${ASSETS_PATH}/dashboard.css?v=${v(versions.css)}">
<script type="module" src="${ASSETS_PATH}/dashboard.js?v=${v(versions.js)}"></script>
</head>
<body>
<header class="top">
  <h1>Plexus admin</h1>
  <p id="indicator" class="indicator" role="status" aria-live="polite" data-state="starting">
    <span class="dot" aria-hidden="true"></span><span id="indicator-text">Starting…</span>
  </p>
  <p class="who"><span id="who"></span> <button type="button" id="sign-out" hidden>Sign out</button></p>
</header>
<main id="main">
  <section id="sign-in" class="card" aria-labelledby="sign-in-title" hidden>
    <h2 id="sign-in-title">Sign in</h2>
    <p id="sign-in-message" role="alert"></p>
    <form id="login-form" novalidate>
      <label for="login">Login</label>
      <input id="login" name="login" autocomplete="username" required>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
    </form>
    <details>
      <summary>Use the admin token instead</summary>
      <form id="token-form" novalidate>
        <label for="token">PLEXUS_ADMIN_TOKEN</label>
        <input id="token" name="token" type="password" autocomplete="off" required>
        <button type="submit">Use token</button>
      </form>
    </details>
  </section>
  <div id="board" hidden>
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">Cluster</h2>
      <p id="totals" class="totals"></p>
      <div id="servers"></div>
    </section>
    <section aria-labelledby="plots-title">
      <h2 id="plots-title">Last hour</h2>
      <div id="plots" class="plots"></div>
    </section>
    <section aria-labelledby="panels-title">
      <h2 id="panels-title">Modules</h2>
      <div id="panels" class="panels"></div>
    </section>
  </div>
</main>
</body>
</html>
`;
}
