/**
 * `npm run redis:cluster`: starts a local Redis Cluster (3 masters + 3 replicas on free ports,
 * temp directories, no persistence) for trying Plexus by hand, prints the settings to use, and
 * stops every node when interrupted (Ctrl-C) or terminated (`kill <pid>`).
 */
import { startCluster } from '../topology.js';

const cluster = await startCluster();
const masters = await cluster.masters();
console.log(
  `Redis Cluster ready: ${masters.length} masters, ${cluster.nodes.length - masters.length} replicas`,
);
console.log('');
console.log(`REDIS_CLUSTER_NODES=${cluster.seeds}`);
console.log('');
console.log(`  redis-cli -c -p ${cluster.nodes[0]!.port} cluster nodes`);
console.log(`Stop it with Ctrl-C, or: kill ${process.pid}`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the cluster...`);
  await cluster.stop();
  console.log('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// The nodes are unreferenced child processes; this keeps the command in the foreground.
setInterval(() => {}, 1 << 30);
