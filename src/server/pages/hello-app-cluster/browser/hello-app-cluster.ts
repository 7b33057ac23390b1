/// <reference lib="dom" />
/**
 * The hello-app-cluster page: shows the value as the instance behind this page serves it, follows
 * its changes over Server-Sent Events (GET /api/1/hello-app-cluster/events), signs an admin in
 * (POST /api/1/auth/login) and saves a new value through the admin configuration route with the
 * version shown as If-Match, so a change someone else made first is not overwritten.
 */

interface HelloState {
  instance: string;
  value: string;
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

interface HelloView extends HelloState {
  viewer: { login: string; admin: boolean } | null;
}

const STATE_URL = '/api/1/hello-app-cluster';
const CONFIG_URL = '/api/1/admin/config/hello-app-cluster/message';
const LOG_LIMIT = 100;

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing`);
  return element as T;
}

let shown = -1;

function show(state: HelloState): void {
  // A stream may deliver a state older than one already shown (the first read racing a change).
  if (state.version < shown) return;
  const changed = shown !== -1 && state.version !== shown;
  shown = state.version;
  const value = byId('value');
  value.textContent = state.value;
  value.dataset.version = String(state.version);
  byId('instance').textContent = state.instance;
  byId('version').textContent = state.version === 0 ? 'never set (the default)' : String(state.version);
  byId('updated-by').textContent = state.updatedBy ?? '–';
  byId('updated-at').textContent = state.updatedAt ?? '–';
  if (changed)
    log(
      `Version ${state.version}: “${state.value}” by ${state.updatedBy ?? '?'}, served by ${state.instance}`,
    );
}

function log(text: string): void {
  const list = byId<HTMLOListElement>('log');
  const item = document.createElement('li');
  item.textContent = text;
  list.append(item);
  while (list.children.length > LOG_LIMIT) list.firstElementChild?.remove();
}

function status(state: string, text: string, instance?: string): void {
  const line = byId('status');
  line.dataset.state = state;
  if (instance !== undefined) line.dataset.instance = instance;
  line.textContent = text;
}

function follow(): void {
  const events = new EventSource(`${STATE_URL}/events`);
  events.addEventListener('state', (event) => {
    const state = JSON.parse((event as MessageEvent<string>).data) as HelloState;
    status('open', `Live: following changes through instance ${state.instance}`, state.instance);
    show(state);
  });
  events.addEventListener('error', () => {
    status('reconnecting', 'Connection lost; reconnecting…');
  });
}

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return `${body.error?.message ?? response.statusText} (${body.error?.code ?? response.status})`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

/** Reads the value and who is signed in; shows the value and the form that fits. */
async function load(): Promise<void> {
  const response = await fetch(STATE_URL, { credentials: 'same-origin' });
  if (!response.ok) {
    byId('result').textContent = `The value could not be read: ${await errorText(response)}`;
    return;
  }
  const { viewer, ...state } = (await response.json()) as HelloView;
  show(state);
  const admin = viewer?.admin === true;
  byId('login-form').hidden = admin;
  byId('change-form').hidden = !admin;
  if (viewer !== null && !admin)
    byId('result').textContent = `Signed in as ${viewer.login}, who is not an administrator.`;
  if (admin) byId('result').textContent = `Signed in as ${viewer.login} (administrator).`;
}

function wireForms(): void {
  const result = byId('result');
  byId<HTMLFormElement>('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const response = await fetch('/api/1/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        login: byId<HTMLInputElement>('login').value,
        password: byId<HTMLInputElement>('password').value,
      }),
    });
    if (!response.ok) {
      result.textContent = `Sign-in refused: ${await errorText(response)}`;
      return;
    }
    byId<HTMLInputElement>('password').value = '';
    await load();
    byId<HTMLInputElement>('new-value').focus();
  });
  byId<HTMLFormElement>('change-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('new-value');
    const response = await fetch(CONFIG_URL, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'if-match': `"${Math.max(shown, 0)}"` },
      body: JSON.stringify({ value: input.value }),
    });
    if (response.ok) {
      const entry = (await response.json()) as { version: number };
      result.textContent = `Saved as version ${entry.version}.`;
      input.value = '';
    } else if (response.status === 409) {
      await load();
      result.textContent =
        'Someone changed it first: the page shows their value now; save again to replace it.';
    } else {
      result.textContent = `Not saved: ${await errorText(response)}`;
    }
  });
}

async function start(): Promise<void> {
  wireForms();
  await load();
  follow();
}

void start();
