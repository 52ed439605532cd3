import { describeTroubleCode } from '@fleetline/protocol';
import type { EventType, FleetEvent } from '@fleetline/protocol';

export const EVENT_LABELS: Record<EventType, string> = {
  device_online: 'Online',
  device_offline: 'Offline',
  overspeed: 'Overspeed',
  ignition_on: 'Ignition on',
  ignition_off: 'Ignition off',
  dtc_new: 'Trouble code',
  trip_start: 'Trip start',
  trip_end: 'Trip end',
  idle_start: 'Idling',
  idle_end: 'Idling ended',
  harsh_acceleration: 'Harsh acceleration',
  harsh_braking: 'Harsh braking',
};

const round = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined ? null : n.toFixed(digits);

/** A one-line title and a detail sentence for an event, as the log and notifications show it. */
export function describeEvent(event: FleetEvent): { title: string; detail: string } {
  const title = EVENT_LABELS[event.type];
  switch (event.type) {
    case 'overspeed': {
      const { speedKmh, limitKmh } = event.data;
      // Whole km/h unless that would read "50 km/h where the limit is 50 km/h".
      const digits = round(speedKmh) === round(limitKmh) ? 1 : 0;
      const limit = Number.isInteger(limitKmh) ? String(limitKmh) : round(limitKmh, digits);
      return {
        title,
        detail: `${round(speedKmh, digits)} km/h where the limit is ${limit} km/h`,
      };
    }
    case 'device_offline':
      return {
        title,
        detail: `Nothing received since ${new Date(event.data.lastSeenAt).toLocaleTimeString()}`,
      };
    case 'device_online': {
      const previous = event.data.previousSeenAt;
      if (previous === null) return { title, detail: 'First report from this vehicle' };
      if (previous === undefined) return { title, detail: 'Reporting again' };
      return { title, detail: `Reporting again after ${silence(event.t - previous)} of silence` };
    }
    case 'ignition_on':
    case 'ignition_off':
      return { title, detail: '' };
    case 'dtc_new': {
      const code = describeTroubleCode(event.data.code);
      return {
        title: `${title} ${event.data.code}`,
        detail: `${code.description ?? code.category ?? 'Manufacturer-specific code'} (${event.data.dtcKind})`,
      };
    }
    default: {
      const d = event.data;
      const parts = [
        d.distanceKm !== null ? `${round(d.distanceKm, 1)} km` : null,
        d.durationS !== null ? formatDuration(d.durationS) : null,
        d.speedKmh !== null ? `${round(d.speedKmh)} km/h` : null,
        d.accelMs2 !== null ? `${round(d.accelMs2, 1)} m/s²` : null,
      ].filter(Boolean);
      return { title, detail: parts.join(', ') };
    }
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

/** A silence as people say it: "45 s", "12 min", "3 h 20 min", "2 d 4 h". */
function silence(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
