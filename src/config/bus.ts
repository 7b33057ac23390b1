/** Settings of the broadcast bus (src/bus/). */
import { loadSection, option, parse, type SectionOf } from './option.js';

export const busOptions = {
  maxPayloadBytes: option({
    env: 'BUS_MAX_PAYLOAD_BYTES',
    default: 64 * 1024,
    doc: 'Largest JSON payload, in bytes, that `bus.publish` accepts; larger ones are refused with BUS_PAYLOAD_TOO_LARGE.',
    parse: parse.integer(64, 16 * 1024 * 1024),
  }),
};

export type BusConfig = SectionOf<typeof busOptions>;

export function loadBusConfig(
  env: Record<string, string | undefined> = process.env,
  explicit: Partial<BusConfig> = {},
): BusConfig {
  return loadSection('bus', busOptions, env, explicit);
}
