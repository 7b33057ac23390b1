/**
 * Helpers for the session and auth tests: a cookie jar per simulated browser, login, and the
 * environment every auth test server uses (cheap scrypt so that tests stay fast).
 */
import { TEST_REDIS_URL, uniquePrefix } from './redis.js';

export const PASSWORD = 'correct horse battery staple';

/** Cheap password hashing: tests check behaviour, not cost. */
export const FAST_HASHING = { PASSWORD_SCRYPT_COST: '10', PASSWORD_SCRYPT_PARALLELISM: '1' };

export function redisEnv(prefix = uniquePrefix('auth')): Record<string, string> {
  return { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** One browser: keeps the session cookie it is given, sends it back. */
export class Browser {
  cookie: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly userAgent = 'vitest-browser/1.0',
  ) {}

  /** Another server of the same deployment, same cookie (a load balancer's next pick). */
  on(baseUrl: string): Browser {
    const other = new Browser(baseUrl, this.userAgent);
    other.cookie = this.cookie;
    return other;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult> {
    const init: RequestInit = {
      method,
      headers: {
        'user-agent': this.userAgent,
        ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
    };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('plexus.sid='));
    if (setCookie !== undefined) {
      const pair = setCookie.slice(0, setCookie.indexOf(';'));
      this.cookie = pair === 'plexus.sid=' ? undefined : pair;
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: tests look at `text`.
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  login(login: string, password = PASSWORD): Promise<HttpResult> {
    return this.request('POST', '/api/1/auth/login', { login, password });
  }

  me(): Promise<HttpResult> {
    return this.request('GET', '/api/1/auth/me');
  }
}

export function errorCodeOf(result: HttpResult): string | undefined {
  return (result.body.error as { code?: string } | undefined)?.code;
}
