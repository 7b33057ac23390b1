/**
 * The applications bundled with the reference server, in install order. `plexus start` installs
 * all of them unless PLEXUS_APPS names a subset; toolkit users import the ones they want
 * (`plexus/apps/qr`) and pass them to `createPlexus({ apps })` or the Fastify plugin.
 */
import type { AnyAppDefinition } from '../application/definition.js';
import { attendanceApp } from './attendance/app.js';
import { matchmakingApp } from './matchmaking/app.js';
import { qrApp } from './qr/app.js';

export const bundledApps: readonly AnyAppDefinition[] = [qrApp, attendanceApp, matchmakingApp];
