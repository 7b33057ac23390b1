/**
 * Exit codes of the CLI. EX_CONFIG tells a supervisor (the cluster primary, PM2, systemd) that
 * restarting will not help: the configuration is wrong or the port cannot be bound.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 78;
