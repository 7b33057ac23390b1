/**
 * The GET/SET load the client benchmarks share (bench/redis-wrapper.ts, bench/rest-topology.ts):
 * `inFlight` loops over 1,000 keys, each alternating GET and SET of 100 bytes, counting successful
 * operations per second of wall time and per CPU-second of this process. Calls that fail
 * (timeouts on an overloaded machine) are counted per target and reported with the results.
 */
export { median } from './http.js';

export interface GetSetTarget {
  name: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
}

export interface Round {
  /** Successful operations per second of wall time. */
  wall: number;
  /** Successful operations per CPU-second of this process. */
  cpu: number;
}

const VALUE = 'x'.repeat(100);

export class GetSetLoad {
  readonly #keys: string[];
  /** Failed calls per target name. */
  readonly failures = new Map<string, number>();

  constructor(keyPrefix: string) {
    this.#keys = Array.from({ length: 1000 }, (_, i) => `${keyPrefix}:${i}`);
  }

  /** `inFlight` loops, each issuing GET and SET alternately, for `ms`. */
  async measure(target: GetSetTarget, inFlight: number, ms: number): Promise<Round> {
    let count = 0;
    const end = performance.now() + ms;
    const loop = async (start: number) => {
      for (let i = start; performance.now() < end; i += inFlight) {
        const key = this.#keys[i % this.#keys.length]!;
        try {
          await (i & 1 ? target.get(key) : target.set(key, VALUE));
          count++;
        } catch {
          this.failures.set(target.name, (this.failures.get(target.name) ?? 0) + 1);
        }
      }
    };
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await Promise.all(Array.from({ length: inFlight }, (_, i) => loop(i)));
    const cpu = process.cpuUsage(cpuBefore);
    return {
      wall: (count * 1000) / (performance.now() - started),
      cpu: (count * 1e6) / (cpu.user + cpu.system),
    };
  }
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
