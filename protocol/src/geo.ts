import { z } from 'zod';

export const LatitudeSchema = z.number().min(-90).max(90);
export const LongitudeSchema = z.number().min(-180).max(180);

/**
 * A map viewport in degrees. `west` may be greater than `east` when the box
 * crosses the antimeridian.
 */
export const BboxSchema = z
  .object({
    west: LongitudeSchema,
    south: LatitudeSchema,
    east: LongitudeSchema,
    north: LatitudeSchema,
  })
  .refine((b) => b.south <= b.north, {
    message: 'south must not be north of north',
    path: ['south'],
  });
export type Bbox = z.infer<typeof BboxSchema>;

export function bboxContains(box: Bbox, lat: number, lon: number): boolean {
  if (lat < box.south || lat > box.north) return false;
  return box.west <= box.east
    ? lon >= box.west && lon <= box.east
    : lon >= box.west || lon <= box.east;
}
