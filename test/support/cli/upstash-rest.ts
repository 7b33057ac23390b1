/**
 * Runs the local Upstash REST server as its own process (test/support/upstash-rest.ts starts it):
 *   node --import tsx test/support/cli/upstash-rest.ts <port> <redis-url> <token>
 * Prints `listening <port>` once it accepts requests.
 */
import { serveUpstashRest } from '../upstash-rest-server.js';

const [port, redisUrl, token] = process.argv.slice(2);
if (port === undefined || redisUrl === undefined || token === undefined) {
  throw new Error('usage: upstash-rest.ts <port> <redis-url> <token>');
}
await serveUpstashRest(Number(port), redisUrl, token);
process.stdout.write(`listening ${port}\n`);
