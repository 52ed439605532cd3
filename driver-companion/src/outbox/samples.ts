import type { TelemetrySampleInput } from '@fleetline/protocol';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A sample as sampling produces it: everything but the sequence number the outbox assigns. */
export type SampleDraft = DistributiveOmit<TelemetrySampleInput, 'seq'>;

/** A sample as it sits in the outbox and goes on the wire. */
export type OutboxSample = TelemetrySampleInput;

/**
 * What the disk-bound policy may give up, lowest number kept longest:
 * events and alarms (driving, dtc, status) are never dropped; old positions
 * are thinned before old readings, and readings before anything else.
 */
export const SAMPLE_CLASS = { critical: 0, position: 1, reading: 2 } as const;
export type SampleClass = (typeof SAMPLE_CLASS)[keyof typeof SAMPLE_CLASS];

export function sampleClass(kind: SampleDraft['kind']): SampleClass {
  switch (kind) {
    case 'position':
      return SAMPLE_CLASS.position;
    case 'reading':
      return SAMPLE_CLASS.reading;
    default:
      return SAMPLE_CLASS.critical;
  }
}

/** The series a sample belongs to when thinning: one per reading PID/part, one for positions. */
export function sampleSeries(draft: SampleDraft): string | null {
  if (draft.kind === 'position') return 'position';
  if (draft.kind === 'reading') return `reading:${draft.pid}:${draft.part ?? 0}`;
  return null;
}
