import type { CompanionStatus } from '../health/status.js';

/**
 * Asks a running companion for its status on its health endpoint; null when
 * nothing answers. doctor and scan use it to leave a running daemon's
 * devices and connection alone: opening its serial ports would garble its
 * traffic, and a second connection with its token would take its session over.
 */
export async function runningCompanion(
  host: string,
  port: number,
  timeoutMs = 1500,
): Promise<CompanionStatus | null> {
  try {
    const response = await fetch(
      `http://${host.includes(':') ? `[${host}]` : host}:${port}/health`,
      {
        signal: AbortSignal.timeout(timeoutMs),
      },
    );
    const body = (await response.json()) as Partial<CompanionStatus>;
    if (typeof body !== 'object' || body === null || !body.uplink || !body.devices) return null;
    return body as CompanionStatus;
  } catch {
    return null;
  }
}
