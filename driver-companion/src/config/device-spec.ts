import type { DeviceConfig } from './schema.js';

/**
 * Parses the one-line device form used by flags and environment variables:
 *
 *   serial:/dev/ttyUSB0@38400   /dev/ttyUSB0   tcp:192.168.0.10:35000
 *   ble   ble:AA:BB:CC:DD:EE:FF   ble:OBDII   auto   none
 *
 * Returns the object form (checked later by the schema like a file's), or
 * an error message that says what was expected.
 */
export function parseDeviceSpec(spec: string): DeviceConfig | { error: string } {
  const text = spec.trim();
  if (text === 'auto' || text === 'none') return { transport: text };
  if (text === 'ble') return { transport: 'ble' };
  if (text.startsWith('ble:')) {
    const target = text.slice(4);
    if (!target) return { error: 'ble: needs an address or a name after the colon' };
    // MAC addresses and noble's 32-hex-digit peripheral ids are addresses; anything else a name.
    const isAddress =
      /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(target) || /^[0-9a-f]{12,32}$/i.test(target);
    return isAddress ? { transport: 'ble', address: target } : { transport: 'ble', name: target };
  }
  if (text.startsWith('tcp:')) {
    const rest = text.slice(4);
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(rest);
    if (!match?.[1]) return { error: `expected tcp:HOST[:PORT], got ${JSON.stringify(spec)}` };
    const host = match[1].replace(/^\[|\]$/g, '');
    if (match[2] === undefined) return { transport: 'tcp', host };
    return { transport: 'tcp', host, port: Number(match[2]) };
  }
  const serial = text.startsWith('serial:') ? text.slice(7) : text.startsWith('/') ? text : null;
  if (serial !== null) {
    const at = serial.lastIndexOf('@');
    if (at < 0) {
      if (!serial) return { error: 'serial: needs a device path, e.g. serial:/dev/ttyUSB0@38400' };
      return { transport: 'serial', path: serial };
    }
    const path = serial.slice(0, at);
    const baud = serial.slice(at + 1);
    if (!path || !/^\d+$/.test(baud)) {
      return { error: `expected serial:PATH[@BAUD], got ${JSON.stringify(spec)}` };
    }
    return { transport: 'serial', path, baudRate: Number(baud) };
  }
  return {
    error: `unknown device ${JSON.stringify(spec)}: use serial:PATH[@BAUD], tcp:HOST[:PORT], ble[:ADDRESS|NAME], auto or none`,
  };
}

/** The inverse, for logs and reports. */
export function formatDeviceSpec(device: DeviceConfig): string {
  switch (device.transport) {
    case 'serial':
      return `serial:${device.path}${device.baudRate ? `@${device.baudRate}` : ''}`;
    case 'tcp':
      return `tcp:${device.host}${device.port ? `:${device.port}` : ''}`;
    case 'ble':
      return device.address ? `ble:${device.address}` : device.name ? `ble:${device.name}` : 'ble';
    default:
      return device.transport;
  }
}
