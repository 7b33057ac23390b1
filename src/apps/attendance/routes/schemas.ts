/** JSON schemas of the attendance API (types derived with FromSchema where a handler needs them). */
import { strictObject } from '../../../server/routes/schemas.js';

export const idParams = strictObject({ id: { type: 'string', pattern: '^[a-z0-9]{6,32}$' } });

export const courseSchema = strictObject({
  id: { type: 'string' },
  name: { type: 'string' },
  createdAt: { type: 'integer' },
});

export const sessionSchema = strictObject({
  id: { type: 'string' },
  courseId: { type: 'string' },
  courseName: { type: 'string' },
  room: { type: 'string' },
  startsAt: { type: 'integer' },
  endsAt: { type: 'integer' },
  photoRequired: { type: 'boolean' },
  lateAfterMinutes: { type: ['integer', 'null'] },
  closedAt: { type: ['integer', 'null'] },
});

export const checkinSchema = strictObject({
  sessionId: { type: 'string' },
  studentId: { type: 'string' },
  at: { type: 'integer' },
  status: { type: 'string', enum: ['present', 'absent'] },
  late: { type: 'boolean' },
  flagged: { type: 'boolean' },
  source: { type: 'string', enum: ['code', 'manual'] },
  reason: { type: ['string', 'null'] },
  photoId: { type: ['string', 'null'] },
});

export const displaySchema = strictObject({
  sessionId: { type: 'string' },
  name: { type: 'string' },
  room: { type: 'string' },
  code: { type: 'string' },
  url: { type: 'string' },
  window: { type: 'integer' },
  codeExpiresAt: { type: 'integer' },
  periodMs: { type: 'integer' },
  count: { type: 'integer' },
  startsAt: { type: 'integer' },
  endsAt: { type: 'integer' },
  open: { type: 'boolean' },
  now: { type: 'integer' },
});

export const newSessionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['courseId', 'room', 'endsAt'],
  properties: {
    courseId: { type: 'string', pattern: '^[a-z0-9]{6,32}$' },
    room: { type: 'string', minLength: 1, maxLength: 100 },
    startsAt: { type: 'integer', minimum: 0 },
    endsAt: { type: 'integer', minimum: 0 },
    photoRequired: { type: 'boolean' },
    lateAfterMinutes: { type: ['integer', 'null'], minimum: 0, maximum: 1440 },
  },
} as const;

export const codeParam = strictObject({ code: { type: 'string', minLength: 1, maxLength: 200 } });

export const scanBody = {
  type: 'object',
  additionalProperties: false,
  required: ['scanId', 'token'],
  properties: {
    scanId: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' },
    token: { type: 'string', minLength: 1, maxLength: 1024 },
    action: { type: 'string', enum: ['in', 'out', 'toggle'] },
  },
} as const;

export const scanResultSchema = strictObject({
  scanId: { type: 'string' },
  stallId: { type: 'string' },
  student: strictObject({ id: { type: 'string' }, name: { type: 'string' } }),
  state: { type: 'string', enum: ['in', 'out'] },
  movedFrom: { type: ['string', 'null'] },
  duplicate: { type: 'boolean' },
});

export const stallParams = strictObject({
  stallId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
});

export const displayLinkSchema = strictObject({
  id: { type: 'string' },
  sessionId: { type: 'string' },
  createdAt: { type: 'integer' },
  expiresAt: { type: 'integer' },
  revokedAt: { type: ['integer', 'null'] },
});

/** A display link's token (../display-links.ts): `<id>.<secret>`. */
export const linkParams = strictObject({
  token: { type: 'string', pattern: '^[a-z0-9]{16}\\.[A-Za-z0-9_-]{43}$' },
});

/** The query of a paged list: `limit` (1 to `maximum`, default `fallback`) and the opaque `cursor`. */
export function pageQuery<Max extends number, Default extends number>(maximum: Max, fallback: Default) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum, default: fallback },
      cursor: { type: 'string', minLength: 1, maxLength: 400 },
    },
  } as const;
}

/** A page of `items`, and the cursor of the next page (null on the last). */
export function pageOf<Item extends object>(items: Item) {
  return strictObject({ items: { type: 'array', items }, next: { type: ['string', 'null'] } });
}
