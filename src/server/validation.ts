/**
 * Request validation: Fastify's own Ajv compiler, configured so that bad input is refused rather
 * than quietly repaired.
 *
 * Fastify's defaults strip unknown properties (`removeAdditional`) and coerce every part's types.
 * Here unknown properties are an error wherever a schema says `additionalProperties: false`, and
 * types are coerced only where HTTP can carry nothing but strings (path parameters, query string,
 * headers): a JSON body that sends `"5"` for a number is a client bug and gets 400.
 */
import { createRequire } from 'node:module';
import type {
  FastifyRouteSchemaDef,
  FastifySchemaValidationError,
  FastifyValidationResult,
} from 'fastify/types/schema.js';

type RouteCompiler = (route: FastifyRouteSchemaDef<unknown>) => FastifyValidationResult;
type CompilerPool = (
  externalSchemas: unknown,
  options: { customOptions?: Record<string, unknown> },
) => RouteCompiler;

// The compiler Fastify itself uses, resolved through Fastify so that both agree on its version.
const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const { AjvCompiler } = requireFromFastify('@fastify/ajv-compiler') as { AjvCompiler: () => CompilerPool };

/**
 * The validator compiler of Plexus's routes, set on the Fastify plugin's own scope (so an app that
 * mounts Plexus keeps its own Ajv settings for its routes): never strips unknown properties, and
 * coerces types everywhere but in the body.
 */
export function validatorCompiler(): RouteCompiler {
  const pool = AjvCompiler();
  const lenient = pool({}, { customOptions: { removeAdditional: false } });
  const strict = pool({}, { customOptions: { removeAdditional: false, coerceTypes: false } });
  return (route) => (route.httpPart === 'body' ? strict(route) : lenient(route));
}

/** Messages that name the offending field: `body.limit must be integer`, `unknown field "x"`. */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  if (first === undefined) return new Error(`${dataVar} is invalid`);
  const where = `${dataVar}${first.instancePath.replace(/\//g, '.')}`;
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return new Error(`${where} has an unknown field "${params.additionalProperty}"`);
  }
  return new Error(`${where} ${first.message ?? 'is invalid'}`);
}
