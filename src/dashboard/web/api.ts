/**
 * Talking to the admin routes: credentials (the session cookie, or the admin token kept in this
 * tab's sessionStorage), the CSRF token on mutations, and the `Transport` that brings the data
 * document: `PollingTransport` here, `RealtimeTransport` (live.ts: pushed over the realtime endpoint
 * `plexus-admin`, polling as its fallback) — the rendering does not know which.
 */
import type { DashboardDocument, PanelAnswer, SessionInfo } from './types.js';

const TOKEN_KEY = 'plexus-admin-token';

export class AuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Api {
  #csrf: string | null = null;

  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  useToken(token: string | null): void {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    const token = this.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    return headers;
  }

  async session(): Promise<SessionInfo> {
    const response = await fetch('/api/1/admin/dashboard/session', { headers: this.headers() });
    if (!response.ok) throw await failure(response);
    const info = (await response.json()) as SessionInfo;
    this.#csrf = info.csrfToken;
    return info;
  }

  async login(login: string, password: string): Promise<void> {
    const response = await fetch('/api/1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ login, password }),
    });
    if (!response.ok) throw await failure(response);
  }

  async logout(): Promise<void> {
    if (this.token !== null) {
      this.useToken(null);
      return;
    }
    await fetch('/api/1/auth/logout', { method: 'POST', headers: this.headers() });
  }

  async act(panel: string, action: string, value: string): Promise<PanelAnswer> {
    const headers = this.headers({ 'content-type': 'application/json' });
    if (this.#csrf !== null) headers['x-csrf-token'] = this.#csrf;
    const response = await fetch(
      `/api/1/admin/dashboard/panels/${encodeURIComponent(panel)}/actions/${encodeURIComponent(action)}`,
      { method: 'POST', headers, body: JSON.stringify({ value }) },
    );
    if (!response.ok) throw await failure(response);
    return (await response.json()) as PanelAnswer;
  }
}

async function failure(response: Response): Promise<Error> {
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    message = body.error?.message ?? message;
  } catch {
    // Not JSON: the status says enough.
  }
  return response.status === 401 || response.status === 403
    ? new AuthError(response.status, message)
    : new Error(message);
}

export type Fetched =
  | { kind: 'document'; document: DashboardDocument }
  | { kind: 'unchanged' }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'denied'; error: AuthError };

/** Where the data document comes from. */
export interface Transport {
  /** Calls `receive` with every answer (a document, "unchanged", or a failure) until stopped. */
  start(receive: (fetched: Fetched) => void): void;
  stop(): void;
  /** The next request asks for points after `since` from scratch (no ETag). */
  reset(since: number): void;
  /** Buckets from this time on are asked for. */
  since: number;
  /** How documents arrive now, for the live indicator ("over WebSocket", "polling"). */
  describe(): string;
  /** The instance whose pushes arrive (its WebSocket's), if any. */
  readonly instance?: string | undefined;
}

/** Polls GET /api/1/admin/dashboard every `intervalMs`, with If-None-Match. */
export class PollingTransport implements Transport {
  since = 0;
  #etag: string | null = null;
  #timer: number | undefined;
  #stopped = true;
  /** Bumped by every start/stop, so that a request in flight when stopped does not tick again. */
  #generation = 0;

  constructor(
    private readonly api: Api,
    private readonly intervalMs = 1000,
    private readonly timeoutMs = 4000,
  ) {}

  start(receive: (fetched: Fetched) => void): void {
    this.#stopped = false;
    const generation = ++this.#generation;
    const tick = async () => {
      const fetched = await this.#once();
      if (this.#stopped || generation !== this.#generation) return;
      receive(fetched);
      if (fetched.kind !== 'denied') this.#timer = window.setTimeout(tick, this.intervalMs);
    };
    void tick();
  }

  stop(): void {
    this.#stopped = true;
    this.#generation++;
    window.clearTimeout(this.#timer);
  }

  reset(since: number): void {
    this.since = since;
    this.#etag = null;
  }

  describe(): string {
    return 'polling';
  }

  /** One request now (the realtime transport asks one after connecting, or after a gap). */
  once(): Promise<Fetched> {
    return this.#once();
  }

  async #once(): Promise<Fetched> {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const headers = this.api.headers();
      if (this.#etag !== null) headers['if-none-match'] = this.#etag;
      const response = await fetch(`/api/1/admin/dashboard?since=${this.since}`, {
        headers,
        signal: controller.signal,
        cache: 'no-store',
      });
      if (response.status === 304) return { kind: 'unchanged' };
      if (response.status === 401 || response.status === 403) {
        return { kind: 'denied', error: (await failure(response)) as AuthError };
      }
      if (!response.ok) return { kind: 'unreachable', reason: `HTTP ${response.status}` };
      const document = (await response.json()) as DashboardDocument;
      this.#etag = response.headers.get('etag');
      return { kind: 'document', document };
    } catch (error) {
      return { kind: 'unreachable', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      window.clearTimeout(timer);
    }
  }
}
