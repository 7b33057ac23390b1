/**
 * The URL a listening server is reached at: `host` as configured (an IPv6 address in brackets)
 * and the port actually bound, which differs from `port` when `port` is 0. Both the reference
 * server and the cluster primary (src/cli/distributor.ts) print it in their ready lines.
 */
import type { Server } from 'node:net';

export function listeningUrl(server: Server, host: string, port: number): string {
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
}
