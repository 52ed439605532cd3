/**
 * Descriptions of common generic (SAE J2012) trouble codes. Manufacturer
 * codes (P1xxx, P3xxx, C1xxx, ...) mean different things per make and are
 * deliberately absent. Cylinder-indexed families are described by rule below.
 * Shared by the companion (which decodes codes) and the console (which shows them).
 */
export const DTC_DESCRIPTIONS: Readonly<Record<string, string>> = {
  P0010: 'Intake camshaft position actuator circuit (bank 1)',
  P0011: 'Intake camshaft position timing over-advanced or system performance (bank 1)',
  P0012: 'Intake camshaft position timing over-retarded (bank 1)',
  P0013: 'Exhaust camshaft position actuator circuit (bank 1)',
  P0014: 'Exhaust camshaft position timing over-advanced or system performance (bank 1)',
  P0016: 'Crankshaft position / camshaft position correlation (bank 1 sensor A)',
  P0017: 'Crankshaft position / camshaft position correlation (bank 1 sensor B)',
  P0020: 'Intake camshaft position actuator circuit (bank 2)',
  P0021: 'Intake camshaft position timing over-advanced or system performance (bank 2)',
  P0030: 'HO2S heater control circuit (bank 1 sensor 1)',
  P0031: 'HO2S heater control circuit low (bank 1 sensor 1)',
  P0032: 'HO2S heater control circuit high (bank 1 sensor 1)',
  P0036: 'HO2S heater control circuit (bank 1 sensor 2)',
  P0037: 'HO2S heater control circuit low (bank 1 sensor 2)',
  P0038: 'HO2S heater control circuit high (bank 1 sensor 2)',
  P0068: 'MAP / MAF - throttle position correlation',
  P0087: 'Fuel rail / system pressure too low',
  P0088: 'Fuel rail / system pressure too high',
  P0100: 'Mass or volume air flow circuit malfunction',
  P0101: 'Mass or volume air flow circuit range/performance problem',
  P0102: 'Mass or volume air flow circuit low input',
  P0103: 'Mass or volume air flow circuit high input',
  P0105: 'Manifold absolute pressure / barometric pressure circuit malfunction',
  P0106: 'Manifold absolute pressure / barometric pressure circuit range/performance problem',
  P0107: 'Manifold absolute pressure / barometric pressure circuit low input',
  P0108: 'Manifold absolute pressure / barometric pressure circuit high input',
  P0110: 'Intake air temperature circuit malfunction',
  P0111: 'Intake air temperature circuit range/performance problem',
  P0112: 'Intake air temperature circuit low input',
  P0113: 'Intake air temperature circuit high input',
  P0115: 'Engine coolant temperature circuit malfunction',
  P0116: 'Engine coolant temperature circuit range/performance problem',
  P0117: 'Engine coolant temperature circuit low input',
  P0118: 'Engine coolant temperature circuit high input',
  P0120: 'Throttle / pedal position sensor/switch A circuit malfunction',
  P0121: 'Throttle / pedal position sensor/switch A circuit range/performance problem',
  P0122: 'Throttle / pedal position sensor/switch A circuit low input',
  P0123: 'Throttle / pedal position sensor/switch A circuit high input',
  P0125: 'Insufficient coolant temperature for closed loop fuel control',
  P0128: 'Coolant thermostat (coolant temperature below thermostat regulating temperature)',
  P0130: 'O2 sensor circuit malfunction (bank 1 sensor 1)',
  P0131: 'O2 sensor circuit low voltage (bank 1 sensor 1)',
  P0132: 'O2 sensor circuit high voltage (bank 1 sensor 1)',
  P0133: 'O2 sensor circuit slow response (bank 1 sensor 1)',
  P0134: 'O2 sensor circuit no activity detected (bank 1 sensor 1)',
  P0135: 'O2 sensor heater circuit malfunction (bank 1 sensor 1)',
  P0136: 'O2 sensor circuit malfunction (bank 1 sensor 2)',
  P0137: 'O2 sensor circuit low voltage (bank 1 sensor 2)',
  P0138: 'O2 sensor circuit high voltage (bank 1 sensor 2)',
  P0139: 'O2 sensor circuit slow response (bank 1 sensor 2)',
  P0140: 'O2 sensor circuit no activity detected (bank 1 sensor 2)',
  P0141: 'O2 sensor heater circuit malfunction (bank 1 sensor 2)',
  P0150: 'O2 sensor circuit malfunction (bank 2 sensor 1)',
  P0151: 'O2 sensor circuit low voltage (bank 2 sensor 1)',
  P0152: 'O2 sensor circuit high voltage (bank 2 sensor 1)',
  P0153: 'O2 sensor circuit slow response (bank 2 sensor 1)',
  P0155: 'O2 sensor heater circuit malfunction (bank 2 sensor 1)',
  P0156: 'O2 sensor circuit malfunction (bank 2 sensor 2)',
  P0161: 'O2 sensor heater circuit malfunction (bank 2 sensor 2)',
  P0171: 'System too lean (bank 1)',
  P0172: 'System too rich (bank 1)',
  P0174: 'System too lean (bank 2)',
  P0175: 'System too rich (bank 2)',
  P0180: 'Fuel temperature sensor A circuit malfunction',
  P0190: 'Fuel rail pressure sensor circuit malfunction',
  P0191: 'Fuel rail pressure sensor circuit range/performance',
  P0192: 'Fuel rail pressure sensor circuit low input',
  P0193: 'Fuel rail pressure sensor circuit high input',
  P0200: 'Injector circuit malfunction',
  P0217: 'Engine overtemperature condition',
  P0219: 'Engine overspeed condition',
  P0220: 'Throttle / pedal position sensor/switch B circuit malfunction',
  P0221: 'Throttle / pedal position sensor/switch B circuit range/performance problem',
  P0222: 'Throttle / pedal position sensor/switch B circuit low input',
  P0223: 'Throttle / pedal position sensor/switch B circuit high input',
  P0230: 'Fuel pump primary circuit malfunction',
  P0234: 'Turbocharger/supercharger overboost condition',
  P0299: 'Turbocharger/supercharger underboost',
  P0300: 'Random/multiple cylinder misfire detected',
  P0325: 'Knock sensor 1 circuit malfunction (bank 1 or single sensor)',
  P0326: 'Knock sensor 1 circuit range/performance (bank 1 or single sensor)',
  P0327: 'Knock sensor 1 circuit low input (bank 1 or single sensor)',
  P0328: 'Knock sensor 1 circuit high input (bank 1 or single sensor)',
  P0330: 'Knock sensor 2 circuit malfunction (bank 2)',
  P0335: 'Crankshaft position sensor A circuit malfunction',
  P0336: 'Crankshaft position sensor A circuit range/performance',
  P0337: 'Crankshaft position sensor A circuit low input',
  P0338: 'Crankshaft position sensor A circuit high input',
  P0340: 'Camshaft position sensor circuit malfunction',
  P0341: 'Camshaft position sensor circuit range/performance',
  P0342: 'Camshaft position sensor circuit low input',
  P0343: 'Camshaft position sensor circuit high input',
  P0380: 'Glow plug/heater circuit A malfunction',
  P0400: 'Exhaust gas recirculation flow malfunction',
  P0401: 'Exhaust gas recirculation flow insufficient detected',
  P0402: 'Exhaust gas recirculation flow excessive detected',
  P0403: 'Exhaust gas recirculation circuit malfunction',
  P0404: 'Exhaust gas recirculation circuit range/performance',
  P0405: 'Exhaust gas recirculation sensor A circuit low',
  P0410: 'Secondary air injection system malfunction',
  P0411: 'Secondary air injection system incorrect flow detected',
  P0420: 'Catalyst system efficiency below threshold (bank 1)',
  P0421: 'Warm up catalyst efficiency below threshold (bank 1)',
  P0430: 'Catalyst system efficiency below threshold (bank 2)',
  P0440: 'Evaporative emission control system malfunction',
  P0441: 'Evaporative emission control system incorrect purge flow',
  P0442: 'Evaporative emission control system leak detected (small leak)',
  P0443: 'Evaporative emission control system purge control valve circuit malfunction',
  P0446: 'Evaporative emission control system vent control circuit malfunction',
  P0449: 'Evaporative emission control system vent valve/solenoid circuit malfunction',
  P0451: 'Evaporative emission control system pressure sensor range/performance',
  P0455: 'Evaporative emission control system leak detected (gross leak)',
  P0456: 'Evaporative emission control system leak detected (very small leak)',
  P0460: 'Fuel level sensor circuit malfunction',
  P0461: 'Fuel level sensor circuit range/performance',
  P0462: 'Fuel level sensor circuit low input',
  P0463: 'Fuel level sensor circuit high input',
  P0480: 'Cooling fan 1 control circuit malfunction',
  P0500: 'Vehicle speed sensor malfunction',
  P0501: 'Vehicle speed sensor range/performance',
  P0502: 'Vehicle speed sensor circuit low input',
  P0505: 'Idle control system malfunction',
  P0506: 'Idle control system RPM lower than expected',
  P0507: 'Idle control system RPM higher than expected',
  P0520: 'Engine oil pressure sensor/switch circuit malfunction',
  P0530: 'A/C refrigerant pressure sensor circuit malfunction',
  P0560: 'System voltage malfunction',
  P0562: 'System voltage low',
  P0563: 'System voltage high',
  P0571: 'Cruise control/brake switch A circuit malfunction',
  P0600: 'Serial communication link malfunction',
  P0601: 'Internal control module memory check sum error',
  P0602: 'Control module programming error',
  P0603: 'Internal control module keep alive memory (KAM) error',
  P0604: 'Internal control module random access memory (RAM) error',
  P0605: 'Internal control module read only memory (ROM) error',
  P0606: 'Control module processor fault',
  P0700: 'Transmission control system malfunction',
  P0705: 'Transmission range sensor circuit malfunction (PRNDL input)',
  P0710: 'Transmission fluid temperature sensor circuit malfunction',
  P0715: 'Input/turbine speed sensor circuit malfunction',
  P0720: 'Output speed sensor circuit malfunction',
  P0730: 'Incorrect gear ratio',
  P0740: 'Torque converter clutch circuit malfunction',
  P0750: 'Shift solenoid A malfunction',
  P0755: 'Shift solenoid B malfunction',
  P2096: 'Post catalyst fuel trim system too lean (bank 1)',
  P2097: 'Post catalyst fuel trim system too rich (bank 1)',
  P2135: 'Throttle / pedal position sensor/switch A / B voltage correlation',
  P2187: 'System too lean at idle (bank 1)',
  P2188: 'System too rich at idle (bank 1)',
  P2195: 'O2 sensor signal stuck lean (bank 1 sensor 1)',
  P2196: 'O2 sensor signal stuck rich (bank 1 sensor 1)',
  P2270: 'O2 sensor signal stuck lean (bank 1 sensor 2)',
  P2271: 'O2 sensor signal stuck rich (bank 1 sensor 2)',
  C0035: 'Left front wheel speed sensor circuit',
  C0040: 'Right front wheel speed sensor circuit',
  C0045: 'Left rear wheel speed sensor circuit',
  C0050: 'Right rear wheel speed sensor circuit',
  B0001: 'Driver frontal stage 1 deployment control',
  B0100: 'Electronic frontal sensor 1',
  U0001: 'High speed CAN communication bus',
  U0073: 'Control module communication bus A off',
  U0100: 'Lost communication with ECM/PCM A',
  U0101: 'Lost communication with TCM',
  U0121: 'Lost communication with anti-lock brake system (ABS) control module',
  U0140: 'Lost communication with body control module',
  U0155: 'Lost communication with instrument panel cluster (IPC) control module',
};

export interface TroubleCode {
  /** e.g. 'P0301'. */
  code: string;
  system: 'powertrain' | 'chassis' | 'body' | 'network';
  /** SAE-defined (generic) codes have a 0 or 2 (P) / 0 (C, B, U) second character. */
  generic: boolean;
  /** Description for generic codes; null for manufacturer-specific ones we cannot know. */
  description: string | null;
  /**
   * The subsystem SAE J2012 assigns to the code's range (e.g. 'Ignition
   * system or misfire' for P03xx), for every generic code, described or not.
   */
  category: string | null;
}

/** SAE J2012 ranges of generic codes: first three characters to subsystem. */
const GENERIC_CATEGORIES: Readonly<Record<string, string>> = {
  P00: 'Fuel and air metering and auxiliary emission controls',
  P01: 'Fuel and air metering',
  P02: 'Fuel and air metering (injector circuit)',
  P03: 'Ignition system or misfire',
  P04: 'Auxiliary emission controls',
  P05: 'Vehicle speed controls and idle control system',
  P06: 'Computer output circuit',
  P07: 'Transmission',
  P08: 'Transmission',
  P09: 'Transmission',
  P0A: 'Hybrid propulsion',
  P20: 'Fuel and air metering and auxiliary emission controls',
  P21: 'Fuel and air metering and auxiliary emission controls',
  P22: 'Fuel and air metering and auxiliary emission controls',
  P23: 'Ignition system or misfire',
  P24: 'Auxiliary emission controls',
  P25: 'Auxiliary inputs',
  P26: 'Computer and auxiliary outputs',
  P27: 'Transmission',
  P28: 'Transmission',
  P29: 'Fuel and air metering and auxiliary emission controls',
  P2A: 'Fuel and air metering and auxiliary emission controls',
  U00: 'Network electrical',
  U01: 'Network communication',
  U02: 'Network communication',
  U03: 'Network software',
  U04: 'Network data',
  B00: 'Body',
  B01: 'Body',
  B02: 'Body',
  B03: 'Body',
  C00: 'Chassis',
  C01: 'Chassis',
  C02: 'Chassis',
  C03: 'Chassis',
};

const SYSTEM_NAMES = { P: 'powertrain', C: 'chassis', B: 'body', U: 'network' } as const;

export function describeTroubleCode(code: string): TroubleCode {
  const system = (code[0] ?? 'P') as keyof typeof SYSTEM_NAMES;
  const second = code[1] ?? '0';
  const generic = system === 'P' ? second === '0' || second === '2' : second === '0';
  return {
    code,
    system: SYSTEM_NAMES[system],
    generic,
    description: generic ? genericDescription(code) : null,
    category: generic ? (GENERIC_CATEGORIES[code.slice(0, 3)] ?? null) : null,
  };
}

function genericDescription(code: string): string | null {
  const known = DTC_DESCRIPTIONS[code];
  if (known) return known;
  // Cylinder-indexed families are regular enough to describe by rule.
  const n = Number.parseInt(code.slice(3), 10);
  const family = code.slice(0, 3);
  if (family === 'P03' && code[3] === '0' && n >= 1 && n <= 12)
    return `Cylinder ${n} misfire detected`;
  if (family === 'P02' && code[3] === '0' && n >= 1 && n <= 12)
    return `Injector circuit / open, cylinder ${n}`;
  if (family === 'P03' && code[3] === '5' && n >= 51 && n <= 62) {
    return `Ignition coil ${String.fromCharCode(64 + n - 50)} primary/secondary circuit`;
  }
  return null;
}
