/**
 * The realtime demo pages' HTML: one page per demo endpoint of the seed (src/realtime/demos.ts), each
 * loading the realtime client and its own script as ES modules from this server (no inline script or
 * style, so the strict CSP of routes.ts holds).
 */

export interface Demo {
  /** The endpoint, also the page's path under /realtime/. */
  endpoint: string;
  title: string;
  description: string;
  /** The page script under /realtime/js/. */
  script: string;
  body: string;
}

const LOG = (label: string) =>
  `<ol id="log" class="log" role="log" aria-live="polite" aria-label="${label}"></ol>`;

export const DEMOS: readonly Demo[] = [
  {
    endpoint: 'jpulse-ws-status',
    title: 'System status',
    description: 'Status updates that the server publishes to everyone on this endpoint.',
    script: 'status',
    body: `
<section aria-labelledby="connection-heading">
  <h2 id="connection-heading">Connection</h2>
  <dl>
    <dt>Instance</dt><dd id="instance">–</dd>
    <dt>Connection</dt><dd id="conn">–</dd>
    <dt>Round trip</dt><dd id="rtt">–</dd>
    <dt>Reconnects</dt><dd id="reconnects">0</dd>
  </dl>
</section>
<section aria-labelledby="updates-heading">
  <h2 id="updates-heading">Status updates</h2>
  <p class="muted">An administrator publishes them with <code>POST /api/1/ws/jpulse-ws-status/broadcast</code>
  (or <code>POST /api/1/broadcast</code>); clients cannot publish here.</p>
  ${LOG('Status updates')}
</section>`,
  },
  {
    endpoint: 'jpulse-ws-test',
    title: 'WebSocket test console',
    description: 'Join rooms and publish to any audience, and watch every frame arrive.',
    script: 'console',
    body: `
<section aria-labelledby="rooms-heading">
  <h2 id="rooms-heading">Rooms</h2>
  <form id="join-form">
    <div class="field"><label for="room">Room</label><input id="room" name="room" required maxlength="64" autocomplete="off" value="lab"></div>
    <button type="submit">Join</button>
  </form>
  <ul id="rooms" class="chips" aria-label="Joined rooms"></ul>
</section>
<section aria-labelledby="publish-heading">
  <h2 id="publish-heading">Publish</h2>
  <form id="publish-form">
    <div class="field"><label for="audience">Audience</label>
      <select id="audience" name="audience">
        <option value="broadcast">Everyone (broadcast)</option>
        <option value="room">A room</option>
        <option value="user">A user</option>
      </select></div>
    <div class="field"><label for="target">Room or user id</label><input id="target" name="target" maxlength="64" autocomplete="off" value="lab"></div>
    <div class="field"><label for="event">Event name</label><input id="event" name="event" required maxlength="64" autocomplete="off" value="chat"></div>
    <div class="field"><label for="payload">Data (JSON)</label><textarea id="payload" name="payload" required>{"text":"hello"}</textarea></div>
    <button type="submit">Publish</button>
  </form>
  <p id="publish-result" role="status" aria-live="polite" class="muted"></p>
</section>
<section aria-labelledby="log-heading">
  <h2 id="log-heading">Received</h2>
  ${LOG('Received frames')}
</section>`,
  },
  {
    endpoint: 'hello-emoji',
    title: 'Emoji reactions',
    description: 'Press a reaction: everyone on this page, on every instance, sees it.',
    script: 'emoji',
    body: `
<section aria-labelledby="send-heading">
  <h2 id="send-heading">Send a reaction</h2>
  <div class="emoji-buttons" role="group" aria-labelledby="send-heading">
    <button type="button" data-emoji="👍" aria-label="Thumbs up">👍</button>
    <button type="button" data-emoji="🎉" aria-label="Party">🎉</button>
    <button type="button" data-emoji="❤️" aria-label="Heart">❤️</button>
    <button type="button" data-emoji="😂" aria-label="Laughing">😂</button>
    <button type="button" data-emoji="😮" aria-label="Surprised">😮</button>
    <button type="button" data-emoji="🙏" aria-label="Thank you">🙏</button>
  </div>
</section>
<section aria-labelledby="counts-heading">
  <h2 id="counts-heading">Counts</h2>
  <ul id="counts" class="chips" aria-live="polite" aria-labelledby="counts-heading"></ul>
</section>
<section aria-labelledby="recent-heading">
  <h2 id="recent-heading">Recent reactions</h2>
  ${LOG('Recent reactions')}
</section>`,
  },
  {
    endpoint: 'hello-todo',
    title: 'Shared todo list',
    description: 'A todo list kept in sync between everyone in room project-5.',
    script: 'todo',
    body: `
<section aria-labelledby="add-heading">
  <h2 id="add-heading">Add an item</h2>
  <form id="todo-form">
    <div class="field"><label for="todo-text">New item</label><input id="todo-text" name="text" required maxlength="200" autocomplete="off"></div>
    <button type="submit">Add</button>
  </form>
</section>
<section aria-labelledby="items-heading">
  <h2 id="items-heading">Items</h2>
  <ul id="todos" class="plain" aria-labelledby="items-heading"></ul>
  <p id="todo-empty" class="muted">Nothing yet.</p>
</section>
<section aria-labelledby="activity-heading">
  <h2 id="activity-heading">Activity</h2>
  ${LOG('Activity')}
</section>`,
  },
];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, endpoint: string, script: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Plexus realtime</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/realtime/style.css">
${script === '' ? '' : `<script type="module" src="/realtime/js/${script}.js"></script>`}
</head>
<body data-endpoint="${escapeHtml(endpoint)}">
${body}
</body>
</html>
`;
}

export function demoPage(demo: Demo): string {
  return page(
    demo.title,
    demo.endpoint,
    demo.script,
    `<header>
  <a href="/realtime/">All realtime demos</a>
  <h1>${escapeHtml(demo.title)}</h1>
  <p>${escapeHtml(demo.description)} Endpoint <code>/api/1/ws/${escapeHtml(demo.endpoint)}</code>.</p>
  <p id="status" role="status" aria-live="polite" data-state="idle">Not connected yet</p>
</header>
<main>${demo.body}</main>`,
  );
}

export function indexPage(): string {
  const items = DEMOS.map(
    (demo) =>
      `<li><a href="/realtime/${escapeHtml(demo.endpoint)}">${escapeHtml(demo.title)}</a> — ${escapeHtml(demo.description)}</li>`,
  ).join('\n    ');
  return page(
    'Realtime demos',
    '',
    '',
    `<header><h1>Realtime demos</h1>
  <p>Pages for the demo WebSocket endpoints. They use <code>plexus/realtime-client</code>, served by this server at
  <code>/realtime-client/index.js</code>; open one on two instances (or two tabs) and watch them talk.</p></header>
<main><ul>
    ${items}
  </ul></main>`,
  );
}
