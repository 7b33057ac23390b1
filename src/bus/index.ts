export type {
  BusHandler,
  BusMessage,
  BusOptions,
  BusStats,
  BusSubscribeOptions,
  PublishResult,
} from './bus.js';
export { Bus } from './bus.js';
export { parseChannel, parsePattern, RESERVED_APP } from './channel.js';
export { BusError, type BusErrorCode } from './errors.js';
