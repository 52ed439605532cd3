/** Reported by --version, the health endpoint and the logs. Kept in step with package.json. */
export const COMPANION_VERSION = '0.1.0';
