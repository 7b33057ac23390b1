/** `If-Match: "<version>"` as the compare-and-set version of a configuration write. */
import type { FastifyReply } from 'fastify';
import { SettingsError } from '../../settings/errors.js';

/** The version named by If-Match, or undefined without the header. */
export function ifMatchVersion(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (match === null) {
    throw new SettingsError('SETTINGS_INVALID', 'If-Match must name a version: If-Match: "3"');
  }
  return Number(match[1]);
}

export function setVersionTag(reply: FastifyReply, version: number): void {
  void reply.header('etag', `"${version}"`);
}
