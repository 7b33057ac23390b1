/**
 * Renders docs/configuration.md from the option declarations in src/config/, so the documented
 * defaults are the defaults. `npm run docs:config` rewrites the file; test/unit/config-docs.test.ts
 * fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledApps } from '../src/apps/index.js';
import { DURATION_UNITS, formatDuration, UNIT_NAMES } from '../src/config/duration.js';
import { REFUSED, SECTIONS } from '../src/config/index.js';
import type { OptionSpec, SectionSpec } from '../src/config/option.js';

const INTRO = `# Configuration

Every setting is read, in order of precedence, from explicit overrides (code, or the JSON file given
to \`plexus start --config\`), from the environment (a \`.env\` file in the working directory is loaded
by the CLI), and otherwise takes the default below. Settings are validated at startup; a bad value
stops the process with an error naming the setting (code \`PLEXUS_CONFIG_INVALID\`).

This file is generated from the declarations in \`src/config/\` and in the bundled applications'
definitions (\`src/apps/<name>/\`; an application's settings apply only where it is installed) by
\`npm run docs:config\`; a test fails when it is out of date.

**Durations** (every setting whose default below carries a unit) take a number followed by \`ms\`,
\`s\`, \`m\`, \`h\` or \`d\` (\`CACHE_TTL_MS=10m\`, \`SESSION_TTL=24h\`, \`1.5s\`). A bare number keeps the
setting's own unit, given in its row, so existing values keep their meaning. The same syntax is
accepted at runtime, e.g. \`cache.set(key, value, { ttl: '5m' })\` and \`jobs.every(name, '10s', fn)\`.

**Names from the seeds.** The variables the seeds' deployments use are read as aliases of the
settings below (listed in each row and in the table at the end). A setting's own variable wins over
its aliases. The few seed names that Plexus has no use for stop startup with what to use instead.

**Unknown variables.** At startup, every \`REDIS_*\`, \`CACHE_*\`, \`SESSION_*\` and \`PLEXUS_*\`
variable that is neither a setting nor an alias is logged as a warning, with the closest known name,
so that a misspelt variable does not silently leave an instance on its defaults. In production
(\`NODE_ENV=production\`), running without Redis needs \`REDIS_MODE=memory\`: when no Redis is
configured, startup fails instead.
`;

function formatDefault(value: unknown): string {
  if (value === undefined) return '*(not set)*';
  if (Array.isArray(value)) return value.length === 0 ? '*(empty)*' : `\`${JSON.stringify(value)}\``;
  if (typeof value === 'string') return value === '' ? '*(empty)*' : `\`${value}\``;
  return `\`${String(value)}\``;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function describeDefault(option: OptionSpec<unknown>): string {
  if (option.unit !== undefined && typeof option.default === 'number') {
    return `\`${formatDuration(option.default * DURATION_UNITS[option.unit])}\``;
  }
  return formatDefault(option.default);
}

function describeMeaning(option: OptionSpec<unknown>): string {
  const parts = [option.doc];
  if (option.unit !== undefined) parts.push(`Duration; a bare number is in ${UNIT_NAMES[option.unit]}.`);
  for (const alias of option.aliases ?? []) {
    parts.push(`Also read from ${alias.env.map((name) => `\`${name}\``).join(' and ')} (${alias.doc}).`);
  }
  return parts.join(' ');
}

function seedNames(): string[] {
  const rows: string[] = [];
  for (const [section, spec] of Object.entries(SECTIONS)) {
    for (const [key, option] of Object.entries(spec) as [string, OptionSpec<unknown>][]) {
      for (const alias of option.aliases ?? []) {
        const target = option.env === undefined ? `\`${section}.${key}\`` : `\`${option.env}\``;
        const how =
          option.unit !== undefined && alias.map === undefined
            ? `${alias.doc}; a bare number is in ${UNIT_NAMES[option.unit]}`
            : alias.doc;
        for (const name of alias.env) rows.push(`| \`${name}\` | ${target} | ${escapeCell(how)} |`);
      }
    }
  }
  for (const refused of REFUSED) {
    rows.push(`| \`${refused.env}\` | refused | ${escapeCell(refused.instead)} |`);
  }
  return rows;
}

export function renderConfigDocs(): string {
  const parts = [INTRO];
  const sections: [string, SectionSpec, string][] = [
    ...Object.entries(SECTIONS).map(([name, spec]): [string, SectionSpec, string] => [name, spec, '']),
    ...bundledApps
      .filter((app) => app.options !== undefined)
      .map((app): [string, SectionSpec, string] => [
        app.name,
        app.options!,
        ` (application: ${app.description})`,
      ]),
  ];
  for (const [section, spec, note] of sections) {
    parts.push(`\n## \`${section}\`${note}\n`);
    parts.push('| setting | environment variable | default | meaning |');
    parts.push('| --- | --- | --- | --- |');
    for (const [key, option] of Object.entries(spec) as [string, OptionSpec<unknown>][]) {
      const env = option.env === undefined ? '—' : `\`${option.env}\``;
      parts.push(
        `| \`${section}.${key}\` | ${env} | ${describeDefault(option)} | ${escapeCell(describeMeaning(option))} |`,
      );
    }
  }
  parts.push('\n## Names from the seeds\n');
  parts.push('| variable | read as | how |');
  parts.push('| --- | --- | --- |');
  parts.push(...seedNames());
  return `${parts.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
  writeFileSync(target, renderConfigDocs());
  console.log(`wrote ${target}`);
}
