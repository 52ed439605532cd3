import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAppScheme, resolveRendererFile, serveRenderer } from './app-protocol.js';
import type { ProtocolLike } from './app-protocol.js';

function fakeProtocol() {
  const fake = {
    schemes: [] as { scheme: string; privileges: Record<string, boolean> }[],
    handlers: new Map<string, (request: Request) => Promise<Response> | Response>(),
    registerSchemesAsPrivileged(s: { scheme: string; privileges: Record<string, boolean> }[]) {
      fake.schemes.push(...s);
    },
    handle(scheme: string, handler: (request: Request) => Promise<Response> | Response) {
      fake.handlers.set(scheme, handler);
    },
  };
  return fake satisfies ProtocolLike;
}

describe('the fleetline:// scheme', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetline-renderer-'));
    fs.mkdirSync(path.join(root, 'assets'));
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Console</title>');
    fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'export {}');
    fs.writeFileSync(path.join(path.dirname(root), 'secret.txt'), 'do not serve');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is registered standard, secure, fetch- and CORS-enabled', () => {
    const protocol = fakeProtocol();
    registerAppScheme(protocol);
    expect(protocol.schemes).toEqual([
      {
        scheme: 'fleetline',
        privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
      },
    ]);
  });

  it('maps paths to files inside the renderer only; routes get index.html', () => {
    expect(resolveRendererFile('/r', '/assets/app.js')).toBe(path.resolve('/r/assets/app.js'));
    expect(resolveRendererFile('/r', '/vehicles/12')).toBe(path.resolve('/r/index.html'));
    expect(resolveRendererFile('/r', '/../secret.txt')).toBe(path.resolve('/r/secret.txt'));
    expect(resolveRendererFile('/r', '/%2e%2e/%2e%2e/etc/passwd.txt')).not.toMatch(/^\/etc/);
    expect(resolveRendererFile('/r', '/a%00.js')).toBeNull();
    expect(resolveRendererFile('/r', '/%E0%A4%A.js')).toBeNull();
  });

  it('serves the renderer with its CSP, and nothing else', async () => {
    const protocol = fakeProtocol();
    serveRenderer(protocol, root, () => "default-src 'self'");
    const handler = protocol.handlers.get('fleetline');
    if (!handler) throw new Error('no handler');
    const page = await handler(new Request('fleetline://app/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(await page.text()).toContain('<title>Console</title>');
    const script = await handler(new Request('fleetline://app/assets/app.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await handler(new Request('fleetline://app/assets/missing.js'))).status).toBe(404);
    expect((await handler(new Request('fleetline://other/index.html'))).status).toBe(404);
    const escape = await handler(new Request('fleetline://app/%2e%2e/secret.txt'));
    expect(await escape.text()).not.toContain('do not serve');
  });
});
