import { useRef } from 'react';
import type { KeyboardEvent, PointerEvent } from 'react';

/**
 * A draggable (and keyboard-adjustable) border between two columns. It
 * reports widths while dragging and the final width once, to be saved.
 */
export function ResizeHandle({
  label,
  width,
  min,
  max,
  direction,
  onResize,
  onCommit,
}: {
  label: string;
  width: number;
  min: number;
  max: number;
  /** +1: dragging right widens (a left column); -1: dragging left widens (a right column). */
  direction: 1 | -1;
  onResize: (width: number) => void;
  onCommit: (width: number) => void;
}) {
  const start = useRef<{ x: number; width: number } | null>(null);
  const clamp = (w: number) => Math.round(Math.min(max, Math.max(min, w)));
  const move = (e: PointerEvent) => {
    if (!start.current) return;
    onResize(clamp(start.current.width + (e.clientX - start.current.x) * direction));
  };
  const end = (e: PointerEvent) => {
    if (!start.current) return;
    const w = clamp(start.current.width + (e.clientX - start.current.x) * direction);
    start.current = null;
    onCommit(w);
  };
  const key = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 50 : 10;
    const delta =
      e.key === 'ArrowRight' ? step * direction : e.key === 'ArrowLeft' ? -step * direction : 0;
    if (delta === 0) return;
    e.preventDefault();
    onCommit(clamp(width + delta));
  };
  return (
    <div
      className="resize-handle"
      role="separator"
      aria-orientation="vertical"
      aria-label={label}
      aria-valuenow={width}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        start.current = { x: e.clientX, width };
      }}
      onPointerMove={move}
      onPointerUp={end}
      onKeyDown={key}
    />
  );
}
