// PM2: `pm2 start ecosystem.config.cjs` runs `plexus start` in PM2 cluster mode, one instance per
// CPU, the same server `plexus start --workers max` runs. Several instances must share state, so
// set REDIS_URL (or REDIS_SENTINELS / REDIS_CLUSTER_NODES) in the environment or in .env: without
// Redis each instance refuses to start (exit code 78, which PM2 is told not to restart).
// `pm2 start ecosystem.config.cjs --env production` also needs PLEXUS_ADMIN_TOKEN (and the
// settings other modules require in production, see docs/configuration.md).
module.exports = {
  apps: [
    {
      name: 'plexus',
      script: 'bin/plexus.js',
      args: 'start',
      exec_mode: 'cluster',
      instances: 'max',
      // Same young-generation size as src/cli/node-flags.ts gives `plexus start` workers.
      node_args: '--max-semi-space-size=8',
      // Each instance sends 'ready' once it listens; PM2 then moves on to the next one.
      wait_ready: true,
      listen_timeout: 30000,
      // Longer than PLEXUS_SHUTDOWN_TIMEOUT_MS (10 s) plus closing Redis and the database.
      kill_timeout: 16000,
      stop_exit_codes: [78],
      exp_backoff_restart_delay: 250,
      env: {
        NODE_ENV: 'development',
      },
      env_production: {
        NODE_ENV: 'production',
      },
    },
  ],
};
