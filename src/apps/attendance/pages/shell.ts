/**
 * The HTML around every attendance page: no inline script or style (the CSP forbids both), one
 * stylesheet and the page's scripts from /attendance/assets/ (ES modules may import the realtime
 * client from /realtime-client/), and data in `data-*` attributes.
 */

/** Everything from this server, nothing inline, nothing framed; the camera's stream and photos as blobs. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export interface PageSpec {
  title: string;
  /** `data-*` attributes of <main>, escaped here. */
  data: Record<string, string>;
  body: string;
  scripts: readonly string[];
  /** Page scripts loaded as ES modules (after the classic ones, in order), e.g. to import the realtime client. */
  modules?: readonly string[];
  className?: string;
}

export function page(spec: PageSpec): string {
  const data = Object.entries(spec.data)
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join('');
  const scripts = ['common', ...spec.scripts]
    .map((name) => `<script src="/attendance/assets/${name}.js" defer></script>`)
    .join('');
  const modules = (spec.modules ?? [])
    .map((name) => `<script type="module" src="/attendance/assets/${name}.js"></script>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(spec.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/attendance/assets/style.css">
${scripts}${modules}
</head>
<body class="${spec.className ?? ''}">
<main id="main"${data}>
${spec.body}
</main>
</body>
</html>
`;
}
