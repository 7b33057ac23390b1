/**
 * The admin page: sign in (an admin session, or the admin token), then render the data document
 * every time the transport brings one, with the live indicator saying where it comes from:
 * live (every instance, through Redis), reconnecting (the last answers failed; what is shown is
 * the last known state), degraded (Redis is out of reach: the answering instance only).
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Api, AuthError, type Fetched, type Transport } from './api.js';
import { byId } from './dom.js';
import { RealtimeTransport } from './live.js';
import { Overview } from './overview.js';
import { Panels } from './panels.js';
import { Plots } from './plots.js';

type Indicator = 'live' | 'reconnecting' | 'degraded' | 'signed-out' | 'starting';

const api = new Api();
const signIn = byId('sign-in');
const board = byId('board');
const message = byId('sign-in-message');
const signOut = byId<HTMLButtonElement>('sign-out');

let transport: Transport | undefined;
let overview: Overview | undefined;
let plots: Plots | undefined;
let panels: Panels | undefined;
let source: 'cluster' | 'local' | undefined;
let failures = 0;

function indicate(state: Indicator, text: string): void {
  byId('indicator').dataset.state = state;
  byId('indicator-text').textContent = text;
}

function showSignIn(text: string): void {
  transport?.stop();
  transport = undefined;
  board.hidden = true;
  signIn.hidden = false;
  signOut.hidden = true;
  byId('who').textContent = '';
  message.textContent = text;
  indicate('signed-out', 'Signed out');
  byId<HTMLInputElement>('login').focus();
}

function receive(fetched: Fetched): void {
  if (fetched.kind === 'denied') {
    showSignIn(
      fetched.error.status === 403 ? 'This account is not an administrator.' : 'Please sign in again.',
    );
    return;
  }
  if (fetched.kind === 'unreachable') {
    failures++;
    if (failures >= 2)
      indicate('reconnecting', `Reconnecting… (${fetched.reason}); showing the last known state`);
    return;
  }
  failures = 0;
  if (fetched.kind === 'unchanged') {
    showLive();
    return;
  }
  const doc = fetched.document;
  if (doc.source !== source) {
    // Cluster ↔ this instance: the histories are not comparable; start again from the whole window.
    const first = source === undefined;
    source = doc.source;
    plots!.clear();
    if (!first) {
      transport!.reset(0);
      return;
    }
  }
  if (!plots!.accepts(doc.plots)) {
    // A gap (a push missed, or the grouping changed): ask for what is missing.
    transport!.reset(plots!.since());
    return;
  }
  overview!.render(doc);
  plots!.update(doc);
  panels!.render(doc.panels);
  transport!.since = plots!.since();
  showLive();
}

function showLive(): void {
  const how = transport?.describe() ?? '';
  const indicator = byId('indicator');
  const instance = transport?.instance;
  if (instance === undefined) {
    delete indicator.dataset.instance;
    indicator.removeAttribute('title');
  } else {
    indicator.dataset.instance = instance;
    indicator.title = `Pushed by instance ${instance}`;
  }
  if (source === 'local')
    indicate('degraded', `Degraded: this instance only (Redis is out of reach) · ${how}`);
  else indicate('live', `Live · ${how}`);
}

async function enter(): Promise<void> {
  let info: Awaited<ReturnType<Api['session']>>;
  try {
    info = await api.session();
  } catch (error) {
    if (error instanceof AuthError) {
      showSignIn(error.status === 403 ? 'This account is not an administrator.' : '');
      return;
    }
    indicate('reconnecting', 'Server unreachable; retrying…');
    window.setTimeout(() => void enter(), 2000);
    return;
  }
  signIn.hidden = true;
  board.hidden = false;
  signOut.hidden = false;
  byId('who').textContent =
    info.via === 'token' ? 'Signed in with the admin token' : `Signed in as ${info.login ?? 'admin'}`;
  overview ??= new Overview(byId('servers'), byId('totals'));
  plots ??= new Plots(byId('plots'));
  panels ??= new Panels(byId('panels'), api);
  source = undefined;
  transport = new RealtimeTransport(api);
  indicate('starting', 'Loading…');
  transport.start(receive);
}

byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const login = byId<HTMLInputElement>('login').value.trim();
  const password = byId<HTMLInputElement>('password').value;
  if (login === '' || password === '') {
    message.textContent = 'Enter your login and password.';
    return;
  }
  message.textContent = 'Signing in…';
  api.useToken(null);
  api
    .login(login, password)
    .then(() => {
      byId<HTMLInputElement>('password').value = '';
      return enter();
    })
    .catch((error: unknown) => {
      message.textContent = error instanceof Error ? error.message : String(error);
    });
});

byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = byId<HTMLInputElement>('token').value.trim();
  if (token === '') {
    message.textContent = 'Enter the token.';
    return;
  }
  api.useToken(token);
  byId<HTMLInputElement>('token').value = '';
  void enter();
});

signOut.addEventListener('click', () => {
  void api.logout().finally(() => showSignIn('Signed out.'));
});

void enter();
