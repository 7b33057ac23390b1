import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDocs } from '../../scripts/config-docs.js';
import { SECTIONS } from '../../src/config/index.js';

describe('docs/configuration.md', () => {
  it('is generated from the option declarations (run `npm run docs:config`)', () => {
    const onDisk = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderConfigDocs());
  });

  it('documents every option with an environment variable or a section path, once', () => {
    const envs = Object.values(SECTIONS).flatMap((spec) => Object.values(spec).map((o) => o.env));
    const named = envs.filter((e): e is string => e !== undefined);
    expect(new Set(named).size).toBe(named.length);
    for (const spec of Object.values(SECTIONS)) {
      for (const option of Object.values(spec)) expect(option.doc.length).toBeGreaterThan(10);
    }
  });
});
