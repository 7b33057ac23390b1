/**
 * The peers' ceiling baseline (../shared/peers/peers/fastify-hello.mjs): a bare Fastify route,
 * no logger, schema or plugins, answering GET /bare with `{"ok":true}`.
 * Usage: node --import tsx bench/server-hello.ts <port>
 */
import { serveBare } from './support/http.js';

await serveBare({ ok: true }, 3997);
