import { describe, expect, it } from 'vitest';
import { StoredSeqs } from './stored-seqs.js';

describe('StoredSeqs', () => {
  it('knows numbers stored by this process, and that the gaps between them are not', () => {
    const seqs = new StoredSeqs(64);
    seqs.seed(1, 0);
    for (const seq of [1, 2, 5]) seqs.markStored(1, seq);
    expect([1, 2, 3, 4, 5, 6].map((n) => seqs.lookup(1, n))).toEqual([
      'stored',
      'stored',
      'absent',
      'absent',
      'stored',
      'absent',
    ]);
    expect(seqs.highest(1)).toBe(5);
    // A gap filled later (a resent batch) is stored from then on.
    seqs.markStored(1, 3);
    expect(seqs.lookup(1, 3)).toBe('stored');
  });

  it('does not guess about numbers stored before it started', () => {
    const seqs = new StoredSeqs(64);
    seqs.seed(1, 100);
    expect(seqs.lookup(1, 100)).toBe('unknown');
    expect(seqs.lookup(1, 1)).toBe('unknown');
    expect(seqs.lookup(1, 101)).toBe('absent');
    seqs.markStored(1, 102);
    expect(seqs.lookup(1, 101)).toBe('absent');
    expect(seqs.lookup(1, 102)).toBe('stored');
    // A device it never saw authenticate: nothing below its mark is known.
    seqs.markStored(2, 7);
    expect(seqs.lookup(2, 6)).toBe('unknown');
    expect(seqs.lookup(2, 8)).toBe('absent');
  });

  it('forgets numbers that fall out of the window, and clears the bits it moves over', () => {
    const seqs = new StoredSeqs(64);
    seqs.seed(1, 0);
    seqs.markStored(1, 1);
    seqs.markStored(1, 10);
    // 1 and 65 share a bit; moving to 70 must not make 65 look stored.
    seqs.markStored(1, 70);
    expect(seqs.lookup(1, 1)).toBe('unknown');
    expect(seqs.lookup(1, 10)).toBe('stored');
    expect(seqs.lookup(1, 65)).toBe('absent');
    // A jump past the whole window clears it.
    seqs.markStored(1, 1000);
    expect(seqs.lookup(1, 999)).toBe('absent');
    expect(seqs.lookup(1, 970)).toBe('absent');
    expect(seqs.lookup(1, 70)).toBe('unknown');
  });

  it('stops trusting its record when the database knows of a higher number', () => {
    const seqs = new StoredSeqs(64);
    seqs.seed(1, 0);
    seqs.markStored(1, 4);
    seqs.seed(1, 9);
    expect(seqs.lookup(1, 4)).toBe('unknown');
    expect(seqs.lookup(1, 10)).toBe('absent');
    // The same mark again (a reconnect) changes nothing.
    seqs.markStored(1, 10);
    seqs.seed(1, 10);
    expect(seqs.lookup(1, 10)).toBe('stored');
  });
});
