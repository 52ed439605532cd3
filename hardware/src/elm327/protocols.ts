/** OBD protocols by their ELM327 number (ATSPn / ATDPN). */
export type ObdProtocolFamily = 'j1850' | 'iso9141' | 'kwp2000' | 'can11' | 'can29';

export interface ObdProtocol {
  /** ELM327 protocol number, '1'..'C'. */
  id: string;
  name: string;
  family: ObdProtocolFamily;
  /** Whether several PIDs may be asked in one mode 01 request (ISO 15765-4 allows six). */
  multiPid: boolean;
}

const PROTOCOLS: Record<string, ObdProtocol> = {
  '1': { id: '1', name: 'SAE J1850 PWM (41.6 kbaud)', family: 'j1850', multiPid: false },
  '2': { id: '2', name: 'SAE J1850 VPW (10.4 kbaud)', family: 'j1850', multiPid: false },
  '3': { id: '3', name: 'ISO 9141-2 (5 baud init)', family: 'iso9141', multiPid: false },
  '4': { id: '4', name: 'ISO 14230-4 KWP (5 baud init)', family: 'kwp2000', multiPid: false },
  '5': { id: '5', name: 'ISO 14230-4 KWP (fast init)', family: 'kwp2000', multiPid: false },
  '6': { id: '6', name: 'ISO 15765-4 CAN (11 bit ID, 500 kbaud)', family: 'can11', multiPid: true },
  '7': { id: '7', name: 'ISO 15765-4 CAN (29 bit ID, 500 kbaud)', family: 'can29', multiPid: true },
  '8': { id: '8', name: 'ISO 15765-4 CAN (11 bit ID, 250 kbaud)', family: 'can11', multiPid: true },
  '9': { id: '9', name: 'ISO 15765-4 CAN (29 bit ID, 250 kbaud)', family: 'can29', multiPid: true },
  A: { id: 'A', name: 'SAE J1939 CAN (29 bit ID, 250 kbaud)', family: 'can29', multiPid: false },
  B: { id: 'B', name: 'USER1 CAN (11 bit ID, 125 kbaud)', family: 'can11', multiPid: true },
  C: { id: 'C', name: 'USER2 CAN (11 bit ID, 50 kbaud)', family: 'can11', multiPid: true },
};

export function obdProtocol(id: string): ObdProtocol | null {
  return PROTOCOLS[id.toUpperCase()] ?? null;
}

/** Parses ATDPN's answer: 'A6' means automatic search settled on protocol 6. */
export function parseDescribeProtocolNumber(
  text: string,
): { protocol: ObdProtocol; auto: boolean } | null {
  const match = /^(A?)([1-9A-C])$/i.exec(text.trim());
  if (!match) return null;
  const protocol = obdProtocol(match[2] ?? '');
  return protocol ? { protocol, auto: match[1] !== '' } : null;
}

export function isCan(protocol: ObdProtocol): boolean {
  return protocol.family === 'can11' || protocol.family === 'can29';
}
