import fs from 'node:fs/promises';
import path from 'node:path';

/** A serial device that may be an OBD adapter or a GPS receiver. */
export interface SerialCandidate {
  /** The path to open: the stable /dev/serial/by-id link when there is one. */
  path: string;
  /** What it resolves to (/dev/ttyUSB0), used to avoid probing one port twice. */
  realPath: string;
  /** The by-id name, which usually says the maker and model. */
  id: string | null;
  /** A guess from the name, used only to probe the likely kind first. */
  hint: 'gps' | 'obd' | null;
}

const GPS_NAMES = /gps|gnss|u-?blox|sirf|globalsat|navilock|ublox|quectel|mediatek|mtk/i;
const OBD_NAMES = /obd|elm|vlink|vgate|obdlink|scantool|ftdi|ft232|ch34|cp210|pl2303/i;

/**
 * Lists serial ports by reading /dev directly. serialport's SerialPort.list()
 * shells out to udevadm and, where udevadm is missing, crashes the process
 * with an unhandled spawn error; a companion must not die while looking for
 * its devices. On Linux the candidates are USB serial adapters (ttyUSB*),
 * USB CDC devices such as most GPS receivers (ttyACM*), Bluetooth RFCOMM
 * bindings (rfcomm*), and their stable by-id links.
 */
export async function listSerialCandidates(devDir = '/dev'): Promise<SerialCandidate[]> {
  const found = new Map<string, SerialCandidate>();
  const byIdDir = path.join(devDir, 'serial', 'by-id');
  for (const name of await readdirOrEmpty(byIdDir)) {
    const link = path.join(byIdDir, name);
    const realPath = await fs.realpath(link).catch(() => null);
    if (!realPath) continue;
    found.set(realPath, { path: link, realPath, id: name, hint: hintFor(name) });
  }
  for (const name of (await readdirOrEmpty(devDir)).sort()) {
    if (!/^(ttyUSB\d+|ttyACM\d+|rfcomm\d+)$/.test(name)) continue;
    const device = path.join(devDir, name);
    const realPath = await fs.realpath(device).catch(() => device);
    if (found.has(realPath)) continue;
    found.set(realPath, {
      path: device,
      realPath,
      id: null,
      // CDC ACM devices are mostly GPS receivers; rfcomm bindings mostly OBD adapters.
      hint: name.startsWith('ttyACM') ? 'gps' : name.startsWith('rfcomm') ? 'obd' : null,
    });
  }
  return [...found.values()];
}

function hintFor(name: string): 'gps' | 'obd' | null {
  if (GPS_NAMES.test(name)) return 'gps';
  if (OBD_NAMES.test(name)) return 'obd';
  return null;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}
