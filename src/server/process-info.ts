/**
 * Who this process is within the deployment, as /api/1/status reports it. A worker forked by
 * `plexus start --workers` or by PM2 in cluster mode is a cluster worker; PM2 numbers its
 * instances 0..n-1 (NODE_APP_INSTANCE), node's cluster module 1, 2, ... (a replacement gets a new
 * id). A process that is not a worker reports `primary`.
 */
import cluster from 'node:cluster';

export interface ProcessInfo {
  isWorker: boolean;
  workerId: string;
  instanceId: string;
  pid: number;
}

export function processInfo(instanceId: string, env: NodeJS.ProcessEnv = process.env): ProcessInfo {
  const id = workerId(env);
  return { isWorker: id !== undefined, workerId: id ?? 'primary', instanceId, pid: process.pid };
}

/** This worker's id, or undefined when the process is not a cluster worker. */
export function workerId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const worker = cluster.isWorker ? cluster.worker : undefined;
  return worker === undefined ? undefined : (env.NODE_APP_INSTANCE ?? String(worker.id));
}
