import { pidDefinition } from '@fleetline/protocol';
import type { ReadingState } from '@fleetline/protocol';

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString(undefined, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function formatTime(t: number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  return new Date(t).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function formatDateTime(t: number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  return new Date(t).toLocaleString(undefined, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** "12 s ago", "4 min ago", "2 h ago": how old a value is, for a glance. */
export function formatAge(t: number | null | undefined, now: number): string {
  if (t === null || t === undefined) return 'never';
  if (now - t < 4_500) return 'just now';
  return `${formatSpan(now - t)} ago`;
}

/** "12 s", "4 min", "2 h", "3 days": a span of time, as formatAge says it. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

/** PIDs the panel shows first, in this order; everything else follows by PID. */
export const KEY_PIDS = [0x0d, 0x0c, 0x05, 0x2f, 0x42] as const;

export interface ReadingMeta {
  name: string;
  unit: string;
  min: number | null;
  max: number | null;
  digits: number;
}

/** Name, unit and documented range of a reading, from the protocol's OBD-II catalogue. */
export function readingMeta(pid: number, part: number, unit: string): ReadingMeta {
  const spec = pidDefinition(pid)?.values[part];
  const name =
    spec?.name ??
    `PID 0x${pid.toString(16).padStart(2, '0').toUpperCase()}${part ? ` (${part})` : ''}`;
  const range = spec ? spec.max - spec.min : 0;
  return {
    name,
    unit: spec?.unit ?? unit,
    min: spec?.min ?? null,
    max: spec?.max ?? null,
    digits: range > 0 && range <= 20 ? 2 : range <= 300 ? 1 : 0,
  };
}

export function sortReadings(readings: readonly ReadingState[]): ReadingState[] {
  const rank = (pid: number) => {
    const i = (KEY_PIDS as readonly number[]).indexOf(pid);
    return i === -1 ? KEY_PIDS.length + pid : i;
  };
  return [...readings].sort((a, b) => rank(a.pid) - rank(b.pid) || a.part - b.part);
}
