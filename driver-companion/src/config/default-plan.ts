import { PID } from '@fleetline/hardware';

/**
 * The default polling plan: what moves fast (speed, RPM, throttle, load)
 * every second or two; temperatures and fuel, which change over minutes,
 * slowly. Ten PIDs fit two six-PID CAN requests per fast tick. Kept apart
 * from the schema so tools (the benchmark's bare poller) can use it alone.
 */
export const DEFAULT_POLL_PLAN: readonly { pid: number; everyS: number }[] = [
  { pid: PID.SPEED, everyS: 1 },
  { pid: PID.RPM, everyS: 1 },
  { pid: PID.THROTTLE, everyS: 1 },
  { pid: PID.ENGINE_LOAD, everyS: 2 },
  { pid: PID.MAF, everyS: 2 },
  { pid: PID.FUEL_RATE, everyS: 5 },
  { pid: PID.COOLANT_TEMP, everyS: 30 },
  { pid: PID.INTAKE_AIR_TEMP, everyS: 30 },
  { pid: PID.CONTROL_MODULE_VOLTAGE, everyS: 30 },
  { pid: PID.FUEL_LEVEL, everyS: 60 },
];
