/// <reference lib="dom" />
/**
 * What every realtime demo page shares: the client for the page's endpoint (same origin, so the
 * load balancer in front of the instances picks one), the status line, and the log.
 */
import {
  createRealtimeClient,
  type MessageMap,
  type RealtimeClient,
} from '../../../../realtime-client/index.js';

const LOG_LIMIT = 200;

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing`);
  return element as T;
}

/** `ws(s)://<this host>/api/1/ws/<endpoint>` */
export function endpointUrl(endpoint: string): string {
  const url = new URL(`/api/1/ws/${encodeURIComponent(endpoint)}`, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** Appends a line to the page's log (newest last, the oldest dropped past LOG_LIMIT). */
export function log(text: string, kind = 'info'): void {
  const list = byId<HTMLOListElement>('log');
  const item = document.createElement('li');
  item.dataset.kind = kind;
  item.textContent = text;
  list.append(item);
  while (list.children.length > LOG_LIMIT) list.firstElementChild?.remove();
  list.scrollTop = list.scrollHeight;
}

/** Creates the page's client, keeps the status line up to date, and connects. */
export function startClient<M extends MessageMap>(): RealtimeClient<M> {
  const endpoint = document.body.dataset.endpoint ?? '';
  const client = createRealtimeClient<M>({ url: endpointUrl(endpoint) });
  const status = byId('status');
  const show = (state: string, text: string) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  client.on('state', ({ state }) => {
    if (state === 'connecting') show(state, 'Connecting…');
    if (state === 'closed') show(state, 'Disconnected. Reload the page to connect again.');
  });
  client.on('open', ({ welcome, reconnected }) => {
    status.dataset.instance = welcome.instance;
    show('open', `Connected to instance ${welcome.instance}${reconnected ? ' (reconnected)' : ''}`);
  });
  client.on('close', ({ code, reconnecting, delayMs }) => {
    if (reconnecting)
      show(
        'reconnecting',
        `Connection lost (${code}). Reconnecting in ${((delayMs ?? 0) / 1000).toFixed(1)} s…`,
      );
  });
  client.on('resync', ({ stream, reason }) => {
    log(
      `Some ${stream} messages could not be recovered (${reason === 'epoch' ? 'history lost' : 'too old'}).`,
      'resync',
    );
  });
  client.on('error', (error) => log(`Error ${error.code}: ${error.message}`, 'error'));
  client.connect().catch((error: Error) => show('closed', `Cannot connect: ${error.message}`));
  return client;
}
