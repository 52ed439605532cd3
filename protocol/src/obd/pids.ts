/**
 * Service 01 PIDs 0x00..0x60 after SAE J1979 (ISO 15031-5): byte count,
 * formula, unit and documented range of every value. `decode` returns null
 * for a value the ECU marks as not available (e.g. an O2 trim of 0xFF).
 */
export interface PidValueSpec {
  name: string;
  unit: string;
  min: number;
  max: number;
  decode: (d: Uint8Array) => number | null;
}

export interface PidDefinition {
  pid: number;
  name: string;
  /** Data bytes after the PID byte. */
  bytes: number;
  /** One entry per value; multi-value PIDs (O2 sensors) report one part each. */
  values: readonly PidValueSpec[];
}

const A = (d: Uint8Array): number => d[0] ?? 0;
const B = (d: Uint8Array): number => d[1] ?? 0;
const C = (d: Uint8Array): number => d[2] ?? 0;
const D = (d: Uint8Array): number => d[3] ?? 0;
const AB = (d: Uint8Array): number => A(d) * 256 + B(d);
const CD = (d: Uint8Array): number => C(d) * 256 + D(d);
const ABsigned = (d: Uint8Array): number => {
  const v = AB(d);
  return v >= 0x8000 ? v - 0x10000 : v;
};
const u32 = (d: Uint8Array): number => ((A(d) << 24) >>> 0) + (B(d) << 16) + (C(d) << 8) + D(d);

const percent = (name: string, pick: (d: Uint8Array) => number): PidValueSpec => ({
  name,
  unit: '%',
  min: 0,
  max: 100,
  decode: (d) => (pick(d) * 100) / 255,
});
const temperature = (name: string, pick: (d: Uint8Array) => number): PidValueSpec => ({
  name,
  unit: '°C',
  min: -40,
  max: 215,
  decode: (d) => pick(d) - 40,
});
const trim = (name: string, pick: (d: Uint8Array) => number): PidValueSpec => ({
  name,
  unit: '%',
  min: -100,
  max: 99.21875,
  decode: (d) => pick(d) / 1.28 - 100,
});
const bitmask = (name: string): PidValueSpec => ({
  name,
  unit: 'bitmask',
  min: 0,
  max: 0xffffffff,
  decode: u32,
});

const single = (
  pid: number,
  name: string,
  bytes: number,
  unit: string,
  min: number,
  max: number,
  decode: (d: Uint8Array) => number | null,
): PidDefinition => ({ pid, name, bytes, values: [{ name, unit, min, max, decode }] });

const supported = (pid: number): PidDefinition => ({
  pid,
  name: `PIDs supported [${(pid + 1).toString(16).padStart(2, '0')}-${(pid + 0x20).toString(16).padStart(2, '0')}]`,
  bytes: 4,
  values: [bitmask('supported PIDs')],
});

const o2Narrow = (pid: number, sensor: number): PidDefinition => ({
  pid,
  name: `O2 sensor ${sensor} voltage and short term fuel trim`,
  bytes: 2,
  values: [
    {
      name: `O2 sensor ${sensor} voltage`,
      unit: 'V',
      min: 0,
      max: 1.275,
      decode: (d) => A(d) / 200,
    },
    {
      name: `O2 sensor ${sensor} short term fuel trim`,
      unit: '%',
      min: -100,
      max: 99.21875,
      // 0xFF: this sensor is not used for trim.
      decode: (d) => (B(d) === 0xff ? null : B(d) / 1.28 - 100),
    },
  ],
});

const o2WideVoltage = (pid: number, sensor: number): PidDefinition => ({
  pid,
  name: `O2 sensor ${sensor} equivalence ratio and voltage`,
  bytes: 4,
  values: [
    {
      name: `O2 sensor ${sensor} equivalence ratio`,
      unit: 'ratio',
      min: 0,
      max: 2,
      decode: (d) => (AB(d) * 2) / 65536,
    },
    {
      name: `O2 sensor ${sensor} voltage`,
      unit: 'V',
      min: 0,
      max: 8,
      decode: (d) => (CD(d) * 8) / 65536,
    },
  ],
});

const o2WideCurrent = (pid: number, sensor: number): PidDefinition => ({
  pid,
  name: `O2 sensor ${sensor} equivalence ratio and current`,
  bytes: 4,
  values: [
    {
      name: `O2 sensor ${sensor} equivalence ratio`,
      unit: 'ratio',
      min: 0,
      max: 2,
      decode: (d) => (AB(d) * 2) / 65536,
    },
    {
      name: `O2 sensor ${sensor} current`,
      unit: 'mA',
      min: -128,
      max: 128,
      decode: (d) => CD(d) / 256 - 128,
    },
  ],
});

const catalyst = (pid: number, label: string): PidDefinition =>
  single(pid, `Catalyst temperature ${label}`, 2, '°C', -40, 6513.5, (d) => AB(d) / 10 - 40);

const secondaryTrim = (pid: number, name: string, banks: [number, number]): PidDefinition => ({
  pid,
  name,
  bytes: 2,
  values: [trim(`${name} bank ${banks[0]}`, A), trim(`${name} bank ${banks[1]}`, B)],
});

const DEFINITIONS: readonly PidDefinition[] = [
  supported(0x00),
  {
    pid: 0x01,
    name: 'Monitor status since DTCs cleared',
    bytes: 4,
    values: [
      { name: 'MIL on', unit: 'bool', min: 0, max: 1, decode: (d) => (A(d) & 0x80 ? 1 : 0) },
      { name: 'DTC count', unit: 'count', min: 0, max: 127, decode: (d) => A(d) & 0x7f },
      {
        name: 'Compression ignition',
        unit: 'bool',
        min: 0,
        max: 1,
        decode: (d) => (B(d) & 0x08 ? 1 : 0),
      },
      {
        name: 'Monitor status',
        unit: 'bitmask',
        min: 0,
        max: 0xffffff,
        decode: (d) => (B(d) << 16) + (C(d) << 8) + D(d),
      },
    ],
  },
  single(0x02, 'Freeze frame DTC', 2, 'code', 0, 0xffff, AB),
  {
    pid: 0x03,
    name: 'Fuel system status',
    bytes: 2,
    values: [
      { name: 'Fuel system 1 status', unit: 'enum', min: 0, max: 255, decode: A },
      { name: 'Fuel system 2 status', unit: 'enum', min: 0, max: 255, decode: B },
    ],
  },
  {
    pid: 0x04,
    name: 'Calculated engine load',
    bytes: 1,
    values: [percent('Calculated engine load', A)],
  },
  {
    pid: 0x05,
    name: 'Engine coolant temperature',
    bytes: 1,
    values: [temperature('Engine coolant temperature', A)],
  },
  {
    pid: 0x06,
    name: 'Short term fuel trim bank 1',
    bytes: 1,
    values: [trim('Short term fuel trim bank 1', A)],
  },
  {
    pid: 0x07,
    name: 'Long term fuel trim bank 1',
    bytes: 1,
    values: [trim('Long term fuel trim bank 1', A)],
  },
  {
    pid: 0x08,
    name: 'Short term fuel trim bank 2',
    bytes: 1,
    values: [trim('Short term fuel trim bank 2', A)],
  },
  {
    pid: 0x09,
    name: 'Long term fuel trim bank 2',
    bytes: 1,
    values: [trim('Long term fuel trim bank 2', A)],
  },
  single(0x0a, 'Fuel pressure', 1, 'kPa', 0, 765, (d) => A(d) * 3),
  single(0x0b, 'Intake manifold absolute pressure', 1, 'kPa', 0, 255, A),
  single(0x0c, 'Engine speed', 2, 'rpm', 0, 16383.75, (d) => AB(d) / 4),
  single(0x0d, 'Vehicle speed', 1, 'km/h', 0, 255, A),
  single(0x0e, 'Timing advance', 1, '°', -64, 63.5, (d) => A(d) / 2 - 64),
  {
    pid: 0x0f,
    name: 'Intake air temperature',
    bytes: 1,
    values: [temperature('Intake air temperature', A)],
  },
  single(0x10, 'Mass air flow rate', 2, 'g/s', 0, 655.35, (d) => AB(d) / 100),
  { pid: 0x11, name: 'Throttle position', bytes: 1, values: [percent('Throttle position', A)] },
  single(0x12, 'Commanded secondary air status', 1, 'enum', 0, 255, A),
  single(0x13, 'O2 sensors present (2 banks)', 1, 'bitmask', 0, 255, A),
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => o2Narrow(0x13 + n, n)),
  single(0x1c, 'OBD standards this vehicle conforms to', 1, 'enum', 0, 255, A),
  single(0x1d, 'O2 sensors present (4 banks)', 1, 'bitmask', 0, 255, A),
  single(0x1e, 'Auxiliary input status (PTO active)', 1, 'bool', 0, 1, (d) => A(d) & 0x01),
  single(0x1f, 'Run time since engine start', 2, 's', 0, 65535, AB),
  supported(0x20),
  single(0x21, 'Distance traveled with MIL on', 2, 'km', 0, 65535, AB),
  single(
    0x22,
    'Fuel rail pressure (relative to manifold vacuum)',
    2,
    'kPa',
    0,
    5177.265,
    (d) => AB(d) * 0.079,
  ),
  single(0x23, 'Fuel rail gauge pressure', 2, 'kPa', 0, 655350, (d) => AB(d) * 10),
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => o2WideVoltage(0x23 + n, n)),
  { pid: 0x2c, name: 'Commanded EGR', bytes: 1, values: [percent('Commanded EGR', A)] },
  { pid: 0x2d, name: 'EGR error', bytes: 1, values: [trim('EGR error', A)] },
  {
    pid: 0x2e,
    name: 'Commanded evaporative purge',
    bytes: 1,
    values: [percent('Commanded evaporative purge', A)],
  },
  {
    pid: 0x2f,
    name: 'Fuel tank level input',
    bytes: 1,
    values: [percent('Fuel tank level input', A)],
  },
  single(0x30, 'Warm-ups since codes cleared', 1, 'count', 0, 255, A),
  single(0x31, 'Distance traveled since codes cleared', 2, 'km', 0, 65535, AB),
  single(0x32, 'Evap system vapor pressure', 2, 'Pa', -8192, 8191.75, (d) => ABsigned(d) / 4),
  single(0x33, 'Absolute barometric pressure', 1, 'kPa', 0, 255, A),
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => o2WideCurrent(0x33 + n, n)),
  catalyst(0x3c, 'bank 1 sensor 1'),
  catalyst(0x3d, 'bank 2 sensor 1'),
  catalyst(0x3e, 'bank 1 sensor 2'),
  catalyst(0x3f, 'bank 2 sensor 2'),
  supported(0x40),
  single(0x41, 'Monitor status this drive cycle', 4, 'bitmask', 0, 0xffffffff, u32),
  single(0x42, 'Control module voltage', 2, 'V', 0, 65.535, (d) => AB(d) / 1000),
  single(0x43, 'Absolute load value', 2, '%', 0, 25700, (d) => (AB(d) * 100) / 255),
  single(
    0x44,
    'Commanded air-fuel equivalence ratio',
    2,
    'ratio',
    0,
    2,
    (d) => (AB(d) * 2) / 65536,
  ),
  {
    pid: 0x45,
    name: 'Relative throttle position',
    bytes: 1,
    values: [percent('Relative throttle position', A)],
  },
  {
    pid: 0x46,
    name: 'Ambient air temperature',
    bytes: 1,
    values: [temperature('Ambient air temperature', A)],
  },
  {
    pid: 0x47,
    name: 'Absolute throttle position B',
    bytes: 1,
    values: [percent('Absolute throttle position B', A)],
  },
  {
    pid: 0x48,
    name: 'Absolute throttle position C',
    bytes: 1,
    values: [percent('Absolute throttle position C', A)],
  },
  {
    pid: 0x49,
    name: 'Accelerator pedal position D',
    bytes: 1,
    values: [percent('Accelerator pedal position D', A)],
  },
  {
    pid: 0x4a,
    name: 'Accelerator pedal position E',
    bytes: 1,
    values: [percent('Accelerator pedal position E', A)],
  },
  {
    pid: 0x4b,
    name: 'Accelerator pedal position F',
    bytes: 1,
    values: [percent('Accelerator pedal position F', A)],
  },
  {
    pid: 0x4c,
    name: 'Commanded throttle actuator',
    bytes: 1,
    values: [percent('Commanded throttle actuator', A)],
  },
  single(0x4d, 'Time run with MIL on', 2, 'min', 0, 65535, AB),
  single(0x4e, 'Time since trouble codes cleared', 2, 'min', 0, 65535, AB),
  {
    pid: 0x4f,
    name: 'Maximum values for equivalence ratio, O2 voltage, O2 current and intake pressure',
    bytes: 4,
    values: [
      { name: 'Maximum equivalence ratio', unit: 'ratio', min: 0, max: 255, decode: A },
      { name: 'Maximum O2 sensor voltage', unit: 'V', min: 0, max: 255, decode: B },
      { name: 'Maximum O2 sensor current', unit: 'mA', min: 0, max: 255, decode: C },
      {
        name: 'Maximum intake manifold pressure',
        unit: 'kPa',
        min: 0,
        max: 2550,
        decode: (d) => D(d) * 10,
      },
    ],
  },
  single(0x50, 'Maximum mass air flow rate', 4, 'g/s', 0, 2550, (d) => A(d) * 10),
  single(0x51, 'Fuel type', 1, 'enum', 0, 255, A),
  {
    pid: 0x52,
    name: 'Ethanol fuel percentage',
    bytes: 1,
    values: [percent('Ethanol fuel percentage', A)],
  },
  single(0x53, 'Absolute evap system vapor pressure', 2, 'kPa', 0, 327.675, (d) => AB(d) / 200),
  single(0x54, 'Evap system vapor pressure', 2, 'Pa', -32768, 32767, ABsigned),
  secondaryTrim(0x55, 'Short term secondary O2 sensor trim', [1, 3]),
  secondaryTrim(0x56, 'Long term secondary O2 sensor trim', [1, 3]),
  secondaryTrim(0x57, 'Short term secondary O2 sensor trim', [2, 4]),
  secondaryTrim(0x58, 'Long term secondary O2 sensor trim', [2, 4]),
  single(0x59, 'Fuel rail absolute pressure', 2, 'kPa', 0, 655350, (d) => AB(d) * 10),
  {
    pid: 0x5a,
    name: 'Relative accelerator pedal position',
    bytes: 1,
    values: [percent('Relative accelerator pedal position', A)],
  },
  {
    pid: 0x5b,
    name: 'Hybrid battery pack remaining life',
    bytes: 1,
    values: [percent('Hybrid battery pack remaining life', A)],
  },
  {
    pid: 0x5c,
    name: 'Engine oil temperature',
    bytes: 1,
    values: [temperature('Engine oil temperature', A)],
  },
  single(0x5d, 'Fuel injection timing', 2, '°', -210, 301.9921875, (d) => AB(d) / 128 - 210),
  single(0x5e, 'Engine fuel rate', 2, 'L/h', 0, 3276.75, (d) => AB(d) / 20),
  single(0x5f, 'Emission requirements', 1, 'enum', 0, 255, A),
  supported(0x60),
  supported(0x80),
  supported(0xa0),
  supported(0xc0),
];

export const MODE01_PIDS: ReadonlyMap<number, PidDefinition> = new Map(
  DEFINITIONS.map((definition) => [definition.pid, definition]),
);

export function pidDefinition(pid: number): PidDefinition | undefined {
  return MODE01_PIDS.get(pid);
}

/** PIDs 0x00, 0x20, 0x40, ... answer with which of the next 32 PIDs the ECU supports. */
export function isSupportBitmaskPid(pid: number): boolean {
  return pid % 0x20 === 0 && pid <= 0xe0;
}

/** Frequently used PIDs by name, so callers need not remember hex. */
export const PID = {
  ENGINE_LOAD: 0x04,
  COOLANT_TEMP: 0x05,
  INTAKE_MAP: 0x0b,
  RPM: 0x0c,
  SPEED: 0x0d,
  INTAKE_AIR_TEMP: 0x0f,
  MAF: 0x10,
  THROTTLE: 0x11,
  RUN_TIME: 0x1f,
  FUEL_LEVEL: 0x2f,
  BAROMETRIC_PRESSURE: 0x33,
  CONTROL_MODULE_VOLTAGE: 0x42,
  AMBIENT_AIR_TEMP: 0x46,
  OIL_TEMP: 0x5c,
  FUEL_RATE: 0x5e,
} as const;
