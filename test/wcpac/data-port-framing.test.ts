/**
 * docs/protocol.md "Framing and limits", §15.2: the data port's one request
 * line is framed with a 4 KiB limit, checked against the `get` schema, and
 * must be complete within an absolute deadline that trickled bytes do not
 * extend. The clients here hold a valid run certificate.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { derToPem } from '../../src/crypto/x509-issue.js';
import { DataPort, type PeerIdentity } from '../../src/worker/attested/data-port.js';
import { installFakeClock } from '../helpers/fake-clock.js';
import { ciphertext, runPki } from './data-pki.js';

const credOf = (p: PeerIdentity) => ({ cert: derToPem(p.certDer), key: p.key.export({ type: 'pkcs8', format: 'pem' }) as string });

async function producer() {
  const pki = await runPki();
  const port = await DataPort.start(await pki.worker('enclaves-1'));
  const c = await ciphertext('counts of words\n'.repeat(100));
  port.offer(c.file, c.file, c.sha256);
  return { port, c, cred: credOf(await pki.worker('enclaves-2')) };
}

/** Sends `line` once TLS is up; resolves with what the port answered when it closed. */
function request(port: DataPort, cred: { cert: string; key: string }, line: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ ...port.address, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...cred });
    let received = '';
    s.on('secureConnect', () => s.write(line));
    s.on('data', (b: Buffer) => (received += b.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(received));
  });
}

describe('"Framing and limits" on the data port', () => {
  test('requests of an inherited type, of the wrong shape or longer than 4 KiB are refused as bad-request and nothing is served', async () => {
    const { port, c, cred } = await producer();
    try {
      const lines = [
        '{"type":"valueOf"}\n',
        '{"type":"__proto__","id":"x","sha256":"y"}\n',
        JSON.stringify({ type: 'get', id: 5, sha256: c.sha256 }) + '\n',
        JSON.stringify({ type: 'get', id: c.file, sha256: c.sha256, extra: 1 }) + '\n',
        '{"type":"get"\n',
        JSON.stringify({ type: 'get', id: c.file + 'x'.repeat(5000), sha256: c.sha256 }) + '\n',
        Buffer.alloc(64 * 1024, 0x61),
      ];
      for (const l of lines) assert.equal(await request(port, cred, l), '{"type":"refused","reason":"bad-request"}\n', String(l).slice(0, 60));
      assert.equal(port.stats.refused['bad-request'], lines.length);
      assert.equal(port.stats.bytes, 0, 'no ciphertext byte left the data port');
      assert.match(await request(port, cred, JSON.stringify({ type: 'get', id: c.file, sha256: c.sha256 }) + '\n'), /^\{"type":"ok","size":\d+\}\nage-encryption/, 'a good request is still served');
    } finally {
      await port.close();
    }
  });

  test('a client that trickles its request is closed at the request deadline, which its bytes do not extend', async () => {
    const { port, c, cred } = await producer();
    const clock = installFakeClock();
    try {
      const s = tls.connect({ ...port.address, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...cred });
      s.on('error', () => undefined);
      const closed = new Promise<void>((r) => s.on('close', () => r()));
      await new Promise<void>((r) => s.once('secureConnect', () => r()));
      const line = JSON.stringify({ type: 'get', id: c.file, sha256: c.sha256 });
      // One byte per second of (fake) time: the old idle timeout (10 s) was reset by every byte.
      for (let i = 0; i < 30 && !s.destroyed; i++) {
        await new Promise<void>((r) => s.write(line[i] ?? ' ', () => r()));
        await new Promise((r) => setImmediate(r));
        clock.tick(1_000);
      }
      await closed;
      assert.equal(port.stats.refused['deadline'], 1);
      assert.equal(port.stats.bytes, 0);
    } finally {
      clock.uninstall();
      await port.close();
    }
  });
});
