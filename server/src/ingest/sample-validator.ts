import {
  SAMPLE_KINDS,
  TelemetryBatchEnvelopeSchema,
  TelemetrySampleSchema,
  fieldErrors,
} from '@fleetline/protocol';
import type { SampleRejection, TelemetrySample } from '@fleetline/protocol';
import type { RetentionConfig } from '../config.js';
import { AppError } from '../domain/errors.js';

export interface ValidatedBatch {
  /** Valid samples with their position in the batch. */
  accepted: { index: number; sample: TelemetrySample }[];
  rejected: SampleRejection[];
  /** Highest sequence number of any sample whose number could be read. */
  highestSeq: number | null;
}

export interface ValidationLimits {
  maxSamples: number;
  maxClockSkewMs: number;
  /**
   * How far back a sample may be, by kind: `driving` samples are kept as
   * events, the rest as telemetry. Null: any age. Storing what the next
   * retention sweep deletes would only mislead, so such a sample is refused.
   */
  retention?: RetentionConfig;
}

const KIND_SET = new Set<string>(SAMPLE_KINDS);

/**
 * Checks a batch: the envelope as a whole, then each sample on its own, so
 * that one bad sample is refused with its reason and the others go through.
 */
export function validateBatch(raw: unknown, limits: ValidationLimits, now: number): ValidatedBatch {
  const envelope = TelemetryBatchEnvelopeSchema.safeParse(raw);
  if (!envelope.success) {
    throw new AppError(
      'batch-malformed',
      'a batch is an object with a "samples" array',
      fieldErrors(envelope.error),
    );
  }
  const samples = envelope.data.samples;
  if (samples.length > limits.maxSamples) {
    throw new AppError(
      'batch-too-large',
      `${samples.length} samples in one batch; at most ${limits.maxSamples} are accepted`,
    );
  }

  const accepted: ValidatedBatch['accepted'] = [];
  const rejected: SampleRejection[] = [];
  const firstIndexOfSeq = new Map<number, number>();
  let highestSeq: number | null = null;

  for (let index = 0; index < samples.length; index++) {
    const candidate = samples[index];
    const seq = readSeq(candidate);
    if (seq !== null) highestSeq = highestSeq === null ? seq : Math.max(highestSeq, seq);

    const kind = isRecord(candidate) ? candidate.kind : undefined;
    if (typeof kind !== 'string' || !KIND_SET.has(kind)) {
      rejected.push({
        index,
        seq,
        field: 'kind',
        reason: `must be one of ${SAMPLE_KINDS.join(', ')}`,
      });
      continue;
    }
    const parsed = TelemetrySampleSchema.safeParse(candidate);
    if (!parsed.success) {
      const [first] = fieldErrors(parsed.error);
      rejected.push({
        index,
        seq,
        field: first?.path ?? '',
        reason: first?.message ?? 'invalid sample',
      });
      continue;
    }
    const sample = parsed.data;
    if (sample.t > now + limits.maxClockSkewMs) {
      const aheadS = Math.round((sample.t - now) / 1000);
      rejected.push({
        index,
        seq,
        field: 't',
        reason: `is ${aheadS} s ahead of the server clock; at most ${limits.maxClockSkewMs / 1000} s is accepted`,
      });
      continue;
    }
    const keptMs =
      sample.kind === 'driving' ? limits.retention?.eventsMs : limits.retention?.telemetryMs;
    if (keptMs != null && sample.t < now - keptMs) {
      const keptDays = Math.round(keptMs / 86_400_000);
      rejected.push({
        index,
        seq,
        field: 't',
        reason: `is ${Math.floor((now - sample.t) / 86_400_000)} days old; ${
          sample.kind === 'driving' ? 'events' : 'telemetry'
        } older than ${keptDays} days is not kept`,
      });
      continue;
    }
    const earlier = firstIndexOfSeq.get(sample.seq);
    if (earlier !== undefined) {
      rejected.push({
        index,
        seq,
        field: 'seq',
        reason: `repeats the sequence number of sample ${earlier} in the same batch`,
      });
      continue;
    }
    firstIndexOfSeq.set(sample.seq, index);
    accepted.push({ index, sample });
  }

  return { accepted, rejected, highestSeq };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readSeq(candidate: unknown): number | null {
  if (!isRecord(candidate)) return null;
  const seq = candidate.seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1 ? seq : null;
}
