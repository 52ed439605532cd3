/** Messages between the benchmark orchestrator and its load workers (child processes). */

export interface DeviceSpec {
  vehicleId: number;
  token: string;
}

export type DeviceCommand =
  | { type: 'connect'; url: string; devices: DeviceSpec[]; concurrency: number }
  | { type: 'run'; hz: number; seconds: number; startAt: number }
  | { type: 'close' };

export interface DeviceRunReport {
  type: 'ran';
  /** Samples put on the wire (each once; resends of a refused batch are not counted again). */
  sent: number;
  /** Samples the server acknowledged as stored now. */
  stored: number;
  /** Samples the server acknowledged as already stored. */
  duplicates: number;
  rejected: number;
  /** Batches answered with an error (overload, shutdown): resent later, like a companion does. */
  errorReplies: number;
  /** Batches whose connection was lost before their answer came (or was down when they were due): resent too. */
  cutOff: number;
  /** Connections lost (a missed heartbeat, say) and made again during the run. */
  reconnects: number;
  /** Samples still unacknowledged when the worker stopped waiting. */
  unacked: number;
  /** Samples acknowledged within the run's sending window, per second. */
  ackedPerS: number;
  /** Time from a batch's send to its ack, over the run. */
  ackLatency: { bins: number[]; count: number };
}

export type DeviceReply =
  | { type: 'connected'; count: number; ms: number }
  | DeviceRunReport
  | { type: 'error'; message: string };

export type ConsoleCommand =
  | { type: 'connect'; url: string; token: string; consoles: number }
  | { type: 'window'; from: number; to: number }
  | { type: 'report' }
  | { type: 'close' };

export interface ConsoleReport {
  type: 'report';
  /** Position updates received, summed over consoles, for samples sent inside the window. */
  delivered: number;
  /** Position updates a console received twice, or older than one it already had. */
  duplicates: number;
  latency: { bins: number[]; count: number };
}

export type ConsoleReply =
  { type: 'connected'; vehicles: number } | ConsoleReport | { type: 'error'; message: string };
