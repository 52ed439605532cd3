/** What this process knows of whether a device's sequence number is stored. */
export type SeqKnowledge = 'stored' | 'absent' | 'unknown';

interface DeviceWindow {
  /** Highest number stored for the device, ever. */
  highest: number;
  /** Numbers from here on were all stored by this process: their bits are complete. */
  knownFrom: number;
  /** One bit per number in (highest - size, highest], at index seq % size. */
  bits: Uint8Array;
}

/**
 * Per device, which of its recent sequence numbers are stored, so that a
 * batch resent after a refusal (numbers below the device's high-water mark)
 * is told apart from a replay without asking the database. Only numbers
 * older than the window, or stored before this process started, are
 * `unknown` and need a lookup. The process is the only writer of samples,
 * so what it recorded is the whole truth from `knownFrom` on.
 */
export class StoredSeqs {
  private readonly devices = new Map<number, DeviceWindow>();

  /** `size`: numbers remembered per device, a multiple of 8 (4096 = 512 bytes a device). */
  constructor(private readonly size = 4096) {
    if (size <= 0 || size % 8 !== 0)
      throw new Error('the window size must be a positive multiple of 8');
  }

  /** At authentication: the highest number stored by any earlier life of the server. */
  seed(deviceId: number, highest: number): void {
    const window = this.devices.get(deviceId);
    if (!window) {
      this.devices.set(deviceId, {
        highest,
        knownFrom: highest + 1,
        bits: new Uint8Array(this.size / 8),
      });
      return;
    }
    // Only this process stores samples: a higher number from the database
    // than it recorded means the record is not the whole truth any more.
    if (highest > window.highest) {
      this.advance(window, highest);
      window.knownFrom = highest + 1;
    }
  }

  highest(deviceId: number): number {
    return this.devices.get(deviceId)?.highest ?? 0;
  }

  /** After a commit: the number is stored. */
  markStored(deviceId: number, seq: number): void {
    let window = this.devices.get(deviceId);
    if (!window) {
      // Never seeded: what the database held before is not known.
      window = {
        highest: 0,
        knownFrom: Number.MAX_SAFE_INTEGER,
        bits: new Uint8Array(this.size / 8),
      };
      this.devices.set(deviceId, window);
    }
    if (seq > window.highest) this.advance(window, seq);
    else if (seq <= window.highest - this.size) return;
    const i = seq % this.size;
    window.bits[i >> 3]! |= 1 << (i & 7);
  }

  lookup(deviceId: number, seq: number): SeqKnowledge {
    const window = this.devices.get(deviceId);
    if (!window) return 'unknown';
    if (seq > window.highest) return 'absent';
    if (seq < window.knownFrom || seq <= window.highest - this.size) return 'unknown';
    const i = seq % this.size;
    return (window.bits[i >> 3]! & (1 << (i & 7))) !== 0 ? 'stored' : 'absent';
  }

  /** Moves the window up to `highest`, clearing the bits of the numbers it now covers. */
  private advance(window: DeviceWindow, highest: number): void {
    const from = window.highest + 1;
    if (highest - from + 1 >= this.size) window.bits.fill(0);
    else
      for (let seq = from; seq <= highest; seq++) {
        const i = seq % this.size;
        window.bits[i >> 3]! &= ~(1 << (i & 7));
      }
    window.highest = highest;
  }
}
