// @vitest-environment happy-dom
import { useEffect } from 'react';
import { describe, expect, it } from 'vitest';
import { render, testServices } from './render';

/** Set by the probe's effect cleanup: it ran only if the probe was unmounted. */
let probeUnmounted = false;

function Probe() {
  useEffect(() => {
    localStorage.setItem('probe', 'left behind');
    sessionStorage.setItem('probe', 'left behind');
    return () => {
      probeUnmounted = true;
    };
  }, []);
  return <p data-testid="probe">mounted</p>;
}

// In order: the second test sees what the first one left.
describe('the render helper cleans up after each test', () => {
  it('mounts a component and leaves it mounted', async () => {
    await render(testServices(), <Probe />);
    expect(document.querySelector('[data-testid="probe"]')).not.toBeNull();
    expect(localStorage.getItem('probe')).toBe('left behind');
  });

  it('finds it unmounted, its container gone and the storage cleared', () => {
    expect(probeUnmounted).toBe(true);
    expect(document.querySelector('[data-testid="probe"]')).toBeNull();
    expect(document.body.children).toHaveLength(0);
    expect(localStorage.getItem('probe')).toBeNull();
    expect(sessionStorage.getItem('probe')).toBeNull();
  });
});
