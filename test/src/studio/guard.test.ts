// The studio refuses requests that reach it through a non-loopback name (DNS rebinding) or from
// another origin, at the unit level and through the real server.
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostName, isLoopback, refusal } from '../../../src/studio/guard.js';
import { type Studio, startStudio } from '../../../src/studio/server.js';

describe('refusal', () => {
  it('answers loopback hosts and same-origin requests', () => {
    for (const host of ['127.0.0.1:8080', 'localhost:3000', '[::1]:80', 'studio.localhost:1', 'LOCALHOST']) {
      expect(refusal({ host }, '127.0.0.1')).toBeUndefined();
    }
    expect(refusal({ host: 'localhost:3000', origin: 'http://localhost:3000' }, '127.0.0.1')).toBeUndefined();
  });

  it('refuses a rebound name, a missing Host, another origin and an opaque origin', () => {
    expect(refusal({ host: 'evil.example:8080' }, '127.0.0.1')).toMatch(/only on this machine.*evil\.example/);
    expect(refusal({}, '127.0.0.1')).toMatch(/no Host/);
    expect(refusal({ host: 'localhost:3000', origin: 'http://evil.example' }, '127.0.0.1')).toMatch(/cross-origin/);
    expect(refusal({ host: 'localhost:3000', origin: 'http://localhost:3001' }, '127.0.0.1')).toMatch(/cross-origin/);
    expect(refusal({ host: 'localhost:3000', origin: 'null' }, '127.0.0.1')).toMatch(/opaque/);
  });

  it('serves any name when bound to a non-loopback address, still refusing other origins', () => {
    expect(refusal({ host: 'box.lan:8080' }, '0.0.0.0')).toBeUndefined();
    expect(refusal({ host: 'box.lan:8080', origin: 'http://other.lan' }, '0.0.0.0')).toMatch(/cross-origin/);
  });

  it('parses host names', () => {
    expect(hostName('[::1]:8080')).toBe('::1');
    expect(hostName('Example.COM:80')).toBe('example.com');
    expect(hostName('localhost')).toBe('localhost');
    expect(isLoopback('127.5.6.7')).toBe(true);
    expect(isLoopback('128.0.0.1')).toBe(false);
    expect(isLoopback('127.0.0.1.evil.example')).toBe(false);
  });
});

describe('studio server guard', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await startStudio({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => studio.close());

  /** A raw request, so the Host and Origin headers are exactly what a rebinding page would send. */
  function get(headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const { port } = studio.server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/start', headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('answers localhost and refuses a rebound host with 403 and a reason', async () => {
    const { port } = studio.server.address() as AddressInfo;
    expect((await get({ host: `localhost:${port}` })).status).toBe(200);
    const rebound = await get({ host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toEqual({ error: expect.stringContaining('only on this machine') });
    const crossOrigin = await get({ host: `127.0.0.1:${port}`, origin: 'http://attacker.example' });
    expect(crossOrigin.status).toBe(403);
  });
});
