/** JSON-schema fragments shared by the route plugins. */

export const errorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
    },
  },
} as const;

/** Spread into a route's `response` so that error replies are documented and serialised too. */
export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

/** For routes that take no query parameters: any parameter is refused as unknown. */
export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

/**
 * An object schema whose listed properties are all required and no others are allowed. `required`
 * is typed as the list of the property names, so that `FromSchema` makes every one of them required.
 */
export function strictObject<const P extends Record<string, object>>(properties: P) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties) as (keyof P & string)[],
    properties,
  } as const;
}
