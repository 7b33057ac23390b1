/** JSON schema of the job listing (GET /api/1/jobs). */
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const nullableNum = { type: ['number', 'null'] } as const;
const nullableStr = { type: ['string', 'null'] } as const;

function object(properties: Record<string, object>) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
  } as const;
}

const lastRunSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    tick: num,
    fence: int,
    instance: { type: 'string' },
    startedAt: num,
    status: { type: 'string', enum: ['running', 'ok', 'failed'] },
    finishedAt: nullableNum,
    durationMs: nullableNum,
    error: nullableStr,
  },
} as const;

const runSummarySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    tick: num,
    fence: int,
    startedAt: num,
    durationMs: num,
    ok: { type: 'boolean' },
    error: nullableStr,
    local: { type: 'boolean' },
  },
} as const;

export const jobStatusSchema = object({
  name: { type: 'string' },
  source: { type: 'string', enum: ['cluster', 'local'] },
  leader: nullableStr,
  schedule: nullableStr,
  description: nullableStr,
  whenRedisDown: { type: ['string', 'null'], enum: ['skip', 'run-locally', null] },
  nextRunAt: nullableNum,
  lastRun: lastRunSchema,
  runs: int,
  failures: int,
  consecutiveFailures: int,
  here: object({
    scheduled: { type: 'boolean' },
    leading: { type: 'boolean' },
    running: { type: 'boolean' },
    idle: { type: 'boolean' },
    lastRun: runSummarySchema,
    runs: int,
    failures: int,
    localRuns: int,
    skippedOverlap: int,
    skippedNoRedis: int,
  }),
});
