import { describe, expect, it } from 'vitest';
import { plainText } from './text.js';

describe('plainText', () => {
  const schema = plainText();
  const problem = (text: string): string | undefined =>
    schema.safeParse(text).error?.issues[0]?.message;

  it('accepts any Unicode text, astral characters included', () => {
    for (const text of ['Van 12', 'Łódź Süd', '東京', 'km/h', '🚐 Fleet', '']) {
      expect(problem(text), text).toBeUndefined();
    }
  });

  it('refuses control characters', () => {
    for (const text of ['a\u0000b', 'line\nbreak', 'del\u007f', 'c1\u0085']) {
      expect(problem(text), JSON.stringify(text)).toBe('must not contain control characters');
    }
  });

  it('refuses lone surrogates, high or low, anywhere', () => {
    for (const text of ['\ud800', 'a\ud800', '\ud800a', 'a\udc00', '\udc00\ud800', '🚐\ud83d']) {
      expect(problem(text), JSON.stringify(text)).toMatch(/lone surrogate/);
    }
  });
});
