// The J1979 mode 01 catalogue (names, units, ranges and formulas) is shared
// with the console, so it lives in protocol; hardware decodes with it.
export { MODE01_PIDS, PID, isSupportBitmaskPid, pidDefinition } from '@fleetline/protocol';
export type { PidDefinition, PidValueSpec } from '@fleetline/protocol';
