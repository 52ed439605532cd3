import { STATE_COLORS } from '../theme/tokens';
import { VEHICLE_STATES } from '../stores/vehicle-state';
import type { MapLike } from './engine';

/** Canvas pixels; drawn at pixelRatio 2, so 32 px on the map, centred on the vehicle. */
const SIZE = 64;

/**
 * A heading arrow per vehicle state, drawn once on a canvas: a WebGL symbol
 * layer rotates it per vehicle, so no vehicle ever needs a DOM element.
 */
export function addVehicleIcons(map: MapLike, pixelRatio = 2): void {
  for (const state of VEHICLE_STATES) {
    const id = arrowIconId(state);
    if (map.hasImage(id)) continue;
    const image = drawArrow(STATE_COLORS[state]);
    if (image) map.addImage(id, image, { pixelRatio });
  }
}

export const ARROW_ICON_PREFIX = 'vehicle-arrow-';
export const arrowIconId = (state: string) => `${ARROW_ICON_PREFIX}${state}`;

function drawArrow(color: string): ImageData | null {
  const canvas = document.createElement('canvas');
  canvas.width = SIZE;
  canvas.height = SIZE;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  // A chevron ahead of the vehicle's dot, pointing north (the layer rotates it by heading),
  // outside the dot so it shows at every zoom; outlined for the dark map.
  const c = SIZE / 2;
  ctx.beginPath();
  ctx.moveTo(c, 3);
  ctx.lineTo(c + 11, c - 12);
  ctx.lineTo(c, c - 17);
  ctx.lineTo(c - 11, c - 12);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.strokeStyle = '#0b1120';
  ctx.lineWidth = 3;
  ctx.lineJoin = 'round';
  ctx.stroke();
  ctx.fill();
  return ctx.getImageData(0, 0, SIZE, SIZE);
}
