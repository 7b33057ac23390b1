// PM2: `pm2 start ecosystem.config.cjs` runs `plexus start` in PM2 cluster mode, one instance per
// CPU, the same server `plexus start --workers max` runs. Several instances must share state, so
// set REDIS_URL (or REDIS_SENTINELS / REDIS_CLUSTER_NODES) in the environment or in .env: without
// Redis each instance refuses to start (exit code 78, which PM2 is told not to restart).
// `pm2 start ecosystem.config.cjs --env production` also needs PLEXUS_ADMIN_TOKEN (and the
// settings other modules require in production, see docs/configuration.md).
//
// The settings follow seed 004's PM2 configuration (instances 'max', exec_mode 'cluster',
// wait_ready, max_memory_restart '1G', autorestart, env_production with NODE_ENV and PORT) except
// where Plexus needs otherwise; each difference says why. test/e2e/pm2.test.ts starts this file
// under PM2 (opt-in: see docs/operations.md, "Deploying").
module.exports = {
  apps: [
    {
      name: 'plexus',
      script: 'bin/plexus.js',
      args: 'start',
      // The CLI reads .env from its working directory: the application's folder, wherever
      // `pm2 start` is run from.
      cwd: __dirname,
      exec_mode: 'cluster',
      instances: 'max',
      // Same young-generation size as src/cli/node-flags.ts gives `plexus start` workers.
      node_args: '--max-semi-space-size=8',
      // Each instance sends 'ready' once it listens (src/cli/serve.ts); PM2 then moves on to the
      // next one, so a reload replaces instances one by one without a moment with none serving.
      wait_ready: true,
      // Startup is bounded by the Redis and database connect timeouts and the migrations; an
      // instance not ready after 30 s is considered started anyway (PM2's behaviour).
      listen_timeout: 30000,
      // Seed 004 has 5000, which would SIGKILL an instance in the middle of its drain: PM2 must
      // wait longer than PLEXUS_SHUTDOWN_TIMEOUT_MS (10 s) plus closing Redis and the database.
      // Raise it with PLEXUS_SHUTDOWN_TIMEOUT_MS.
      kill_timeout: 16000,
      autorestart: true,
      // Exit code 78 means bad configuration or a port that cannot be bound: restarting would
      // only loop, so PM2 leaves the instance stopped (`pm2 logs` says why).
      stop_exit_codes: [78],
      // Crash loops back off (0.25 s doubling, capped by PM2 at 15 s) instead of spinning.
      exp_backoff_restart_delay: 250,
      // As in seed 004. An idle instance uses about 100-120 MB (docs/operations.md, "Memory"), so
      // 1 GB means a leak or a runaway cache; PM2 restarts the instance gracefully (SIGINT, the
      // same drain as SIGTERM).
      max_memory_restart: '1G',
      // Logs are JSON lines with pid and instance id: one file for all instances is easier to ship.
      merge_logs: true,
      env: {
        NODE_ENV: 'development',
      },
      // Seed 004 also sets HOSTNAME per server; Plexus groups instances by the machine's hostname
      // already (INSTANCE_SERVER_NAME overrides it), so nothing is needed here.
      env_production: {
        NODE_ENV: 'production',
        PORT: 3000,
      },
    },
  ],
};
