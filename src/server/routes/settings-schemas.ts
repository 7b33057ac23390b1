/** JSON schemas of the configuration-value and feature-flag routes (settings.ts, features.ts). */
import { strictObject } from './schemas.js';

/** Any JSON value. */
export const jsonValue = { description: 'any JSON value' } as const;
const name = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
} as const;

export const settingParams = strictObject({
  collection: { type: 'string', minLength: 1, maxLength: 64 },
  key: { type: 'string', minLength: 1, maxLength: 128 },
});

export const ifMatchHeaders = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      maxLength: 40,
      description:
        'The version the change is based on ("3"); the change is refused with 409 if it is not current',
    },
  },
} as const;

export const settingSchema = strictObject({
  collection: { type: 'string' },
  key: { type: 'string' },
  value: jsonValue,
  version: { type: 'integer' },
  updatedAt: { type: 'integer' },
  updatedBy: { type: 'string' },
});

export const settingBody = strictObject({ value: jsonValue });

export const settingsPageSchema = strictObject({
  items: { type: 'array', items: settingSchema },
  next: { type: ['string', 'null'] },
});

export const pageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cursor: { type: 'string', maxLength: 200 },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
} as const;

export const collectionParams = strictObject({ collection: { type: 'string', minLength: 1, maxLength: 64 } });
export const flagParams = strictObject({ name: { type: 'string', minLength: 1, maxLength: 64 } });

const audience = {
  type: 'object',
  additionalProperties: false,
  properties: {
    users: { type: 'array', maxItems: 10_000, items: { type: 'string', minLength: 1, maxLength: 200 } },
    roles: { type: 'array', maxItems: 10_000, items: { type: 'string', minLength: 1, maxLength: 200 } },
  },
} as const;

export const flagDefinitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['enabled'],
  properties: {
    enabled: { type: 'boolean', description: 'on for the general audience' },
    killed: { type: 'boolean', description: 'kill switch: off for everyone' },
    rollout: { type: 'number', minimum: 0, maximum: 100, description: 'percent of users on (sticky)' },
    allow: audience,
    deny: audience,
    variants: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'weight'],
        properties: {
          name,
          weight: { type: 'integer', minimum: 0, maximum: 100 },
          value: jsonValue,
        },
      },
    },
    description: { type: 'string', maxLength: 1000 },
  },
} as const;

export const flagRecordSchema = strictObject({
  name: { type: 'string' },
  definition: flagDefinitionSchema,
  version: { type: 'integer' },
  updatedAt: { type: 'integer' },
  updatedBy: { type: 'string' },
});

export const flagListSchema = strictObject({ items: { type: 'array', items: flagRecordSchema } });

export const evaluationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'enabled', 'reason'],
  properties: {
    name: { type: 'string' },
    enabled: { type: 'boolean' },
    variant: { type: 'string' },
    value: jsonValue,
    reason: { type: 'string', enum: ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'ERROR'] },
  },
} as const;

export const evaluationListSchema = strictObject({ items: { type: 'array', items: evaluationSchema } });

const auditSide = {
  anyOf: [{ type: 'null' }, strictObject({ version: { type: 'integer' }, definition: jsonValue })],
} as const;

export const auditPageSchema = strictObject({
  items: {
    type: 'array',
    items: strictObject({
      flag: { type: 'string' },
      at: { type: 'integer' },
      actor: { type: 'string' },
      action: { type: 'string', enum: ['create', 'update', 'delete'] },
      before: auditSide,
      after: auditSide,
    }),
  },
  next: { type: ['string', 'null'] },
});

export const deletedSchema = strictObject({ deleted: { type: 'boolean' }, version: { type: 'integer' } });
