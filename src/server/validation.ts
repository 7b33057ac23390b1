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
import type { FastifyServerOptions } from 'fastify';
import type {
  FastifyRouteSchemaDef,
  FastifySchemaValidationError,
  FastifyValidationResult,
} from 'fastify/types/schema.js';

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;
type ValidatorFactory = NonNullable<NonNullable<SchemaController['compilersFactory']>['buildValidator']>;

interface AjvOptions {
  customOptions?: Record<string, unknown>;
}
type RouteCompiler = (route: FastifyRouteSchemaDef<unknown>) => FastifyValidationResult;
type CompilerPool = (externalSchemas: unknown, options: AjvOptions) => RouteCompiler;

// The compiler Fastify itself uses, resolved through Fastify so that both agree on its version.
const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const { AjvCompiler } = requireFromFastify('@fastify/ajv-compiler') as { AjvCompiler: () => CompilerPool };

export function schemaController(): SchemaController {
  const pool = AjvCompiler();
  const buildValidator: CompilerPool = (externalSchemas, ajvOptions) => {
    const customOptions = { ...ajvOptions.customOptions, removeAdditional: false };
    const lenient = pool(externalSchemas, { ...ajvOptions, customOptions });
    const strict = pool(externalSchemas, {
      ...ajvOptions,
      customOptions: { ...customOptions, coerceTypes: false },
    });
    return (route) => (route.httpPart === 'body' ? strict(route) : lenient(route));
  };
  return { compilersFactory: { buildValidator: buildValidator as unknown as ValidatorFactory } };
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
