/**
 * The Plexus provider through the real `@openfeature/server-sdk`: typed values, reasons, variants,
 * the evaluation context mapped to user and roles, errors (unknown flag, wrong type, malformed
 * context) reported the SDK's way with the default value, and a change on another instance
 * emitted as PROVIDER_CONFIGURATION_CHANGED.
 */
import {
  ErrorCode,
  type EventHandler,
  OpenFeature,
  ProviderEvents,
  StandardResolutionReasons,
} from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexusFlagProvider } from '../../../src/flags/openfeature.js';
import type { Plexus } from '../../../src/index.js';
import { type Cluster, startInstances, until } from './helpers.js';

let cluster: Cluster;
let a: Plexus;
let b: Plexus;

beforeAll(async () => {
  cluster = await startInstances(2, 'sqlite');
  [a, b] = cluster.instances as [Plexus, Plexus];
  await OpenFeature.setProviderAndWait(new PlexusFlagProvider(a.flags, a.settings));
  await b.flags.put('bool', { enabled: true });
  await b.flags.put('off', { enabled: false });
  await b.flags.put('staff', { enabled: false, allow: { roles: ['staff'] } });
  await b.flags.put('partial', { enabled: true, rollout: 50 });
  await b.flags.put('theme', {
    enabled: true,
    variants: [
      { name: 'dark', weight: 50, value: { bg: '#000' } },
      { name: 'light', weight: 50, value: { bg: '#fff' } },
    ],
  });
  await b.flags.put('limit', { enabled: true, variants: [{ name: 'high', weight: 100, value: 42 }] });
  await b.flags.put('label', { enabled: true, variants: [{ name: 'short', weight: 100 }] });
}, 60_000);
afterAll(async () => {
  await OpenFeature.close();
  await cluster?.close();
});

describe('OpenFeature provider', () => {
  const client = () => OpenFeature.getClient();

  it('answers booleans with STATIC, DISABLED and TARGETING_MATCH', async () => {
    expect(await client().getBooleanDetails('bool', false, { targetingKey: 'u1' })).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.STATIC,
    });
    expect(await client().getBooleanDetails('off', true, { targetingKey: 'u1' })).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DISABLED,
    });
    expect(await client().getBooleanValue('staff', false, { targetingKey: 'u1', roles: ['staff'] })).toBe(
      true,
    );
    expect(
      await client().getBooleanDetails('staff', false, { targetingKey: 'u2', roles: ['player'] }),
    ).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });
  });

  it('splits by the targeting key, the same answer as Plexus directly', async () => {
    let on = 0;
    for (let i = 0; i < 2000; i++) {
      const details = await client().getBooleanDetails('partial', false, { targetingKey: `user-${i}` });
      expect(details.reason).toBe(StandardResolutionReasons.SPLIT);
      expect(details.value).toBe((await b.flags.evaluate('partial', { userId: `user-${i}` })).enabled);
      if (details.value) on++;
    }
    expect(on).toBeGreaterThan(850);
    expect(on).toBeLessThan(1150);
  });

  it('serves variants as objects, numbers and strings', async () => {
    const theme = await client().getObjectDetails('theme', {}, { targetingKey: 'u7' });
    expect(theme.reason).toBe('SPLIT');
    expect(theme.value).toEqual(theme.variant === 'dark' ? { bg: '#000' } : { bg: '#fff' });
    expect(await client().getNumberValue('limit', 1, { targetingKey: 'u7' })).toBe(42);
    expect(await client().getStringDetails('label', 'none', { targetingKey: 'u7' })).toMatchObject({
      value: 'short',
      variant: 'short',
    });
  });

  it('reports errors with reason ERROR and the default value', async () => {
    expect(await client().getBooleanDetails('missing', true, { targetingKey: 'u1' })).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(await client().getNumberDetails('theme', 5, { targetingKey: 'u1' })).toMatchObject({
      value: 5,
      reason: 'ERROR',
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(
      await client().getBooleanDetails('bool', false, { targetingKey: 'u1', roles: 'staff' }),
    ).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: ErrorCode.INVALID_CONTEXT,
    });
  });

  it('emits a configuration change when another instance changes a flag', async () => {
    const changed: string[][] = [];
    const handler: EventHandler = (details) => {
      changed.push((details as { flagsChanged?: string[] } | undefined)?.flagsChanged ?? []);
    };
    OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, handler);
    await b.flags.update('off', (d) => ({ ...d, enabled: true }));
    await until('the change event', () => changed.some((c) => c.includes('off')));
    expect(await client().getBooleanValue('off', false, { targetingKey: 'u1' })).toBe(true);
    OpenFeature.removeHandler(ProviderEvents.ConfigurationChanged, handler);
  });
});
