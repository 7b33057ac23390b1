/**
 * Renders docs/configuration.md from the option declarations in src/config/, so the documented
 * defaults are the defaults. `npm run docs:config` rewrites the file; test/unit/config-docs.test.ts
 * fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledApps } from '../src/apps/index.js';
import { SECTIONS } from '../src/config/index.js';
import type { OptionSpec, SectionSpec } from '../src/config/option.js';

const INTRO = `# Configuration

Every setting is read, in order of precedence, from explicit overrides (code, or the JSON file given
to \`plexus start --config\`), from the environment (a \`.env\` file in the working directory is loaded
by the CLI), and otherwise takes the default below. Settings are validated at startup; a bad value
stops the process with an error naming the setting (code \`PLEXUS_CONFIG_INVALID\`).

This file is generated from the declarations in \`src/config/\` and in the bundled applications'
definitions (\`src/apps/<name>/\`; an application's settings apply only where it is installed) by
\`npm run docs:config\`; a test fails when it is out of date.
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
        `| \`${section}.${key}\` | ${env} | ${formatDefault(option.default)} | ${escapeCell(option.doc)} |`,
      );
    }
  }
  return `${parts.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
  writeFileSync(target, renderConfigDocs());
  console.log(`wrote ${target}`);
}
