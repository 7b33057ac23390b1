/**
 * Samples this process and its host for the instance report: memory, CPU (percent of one core
 * since the previous sample), event-loop delay (p50/p99/max since the previous sample, from
 * `monitorEventLoopDelay`) and utilisation, and the host's hardware and load.
 */
import { arch, availableParallelism, freemem, loadavg, platform, totalmem } from 'node:os';
import {
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';

/** The host's hardware and load, as one report carries them and a server group repeats them. */
export interface HostFacts {
  platform: string;
  arch: string;
  nodeVersion: string;
  cpus: number;
  loadAverage: number[];
  freeMemory: number;
  totalMemory: number;
}

export interface ProcessSample {
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  cpu: { percent: number };
  eventLoop: { delayP50Ms: number; delayP99Ms: number; delayMaxMs: number; utilization: number };
  host: HostFacts;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export class ProcessSampler {
  readonly #histogram: IntervalHistogram;
  #cpu = process.cpuUsage();
  #cpuAt = performance.now();
  #elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor() {
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
  }

  /** Figures since the previous call (or since construction). */
  sample(): ProcessSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.#cpu);
    const elapsedUs = Math.max(1, (now - this.#cpuAt) * 1000);
    this.#cpu = process.cpuUsage();
    this.#cpuAt = now;
    const elu = performance.eventLoopUtilization(this.#elu);
    this.#elu = performance.eventLoopUtilization();
    const h = this.#histogram;
    const ms = (ns: number) => (Number.isFinite(ns) ? round(ns / 1e6) : 0);
    const eventLoop = {
      delayP50Ms: h.count === 0 ? 0 : ms(h.percentile(50)),
      delayP99Ms: h.count === 0 ? 0 : ms(h.percentile(99)),
      delayMaxMs: h.count === 0 ? 0 : ms(h.max),
      utilization: round(elu.utilization, 4),
    };
    h.reset();
    const memory = process.memoryUsage();
    return {
      memory: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        external: memory.external,
      },
      cpu: { percent: round(((cpu.user + cpu.system) / elapsedUs) * 100) },
      eventLoop,
      host: {
        platform: platform(),
        arch: arch(),
        nodeVersion: process.version,
        cpus: availableParallelism(),
        loadAverage: loadavg().map((n) => round(n)),
        freeMemory: freemem(),
        totalMemory: totalmem(),
      },
    };
  }

  close(): void {
    this.#histogram.disable();
  }
}
