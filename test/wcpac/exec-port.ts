/** The executor port (docs/protocol.md §9) in the WCPAC tests: a forged attested worker's credentials, and connections judged by the master's decision. */
import tls from 'node:tls';
import { derToPem } from '../../src/crypto/x509-issue.js';
import type { ExecServer } from '../../src/master/broker/exec-server.js';
import type { AttestedWorker } from '../../src/master/broker/types.js';
import { connectRaw, expectSlot, forgeAttest, type Harness } from './harness.js';

/** Attests `slot` with forged sim evidence over a raw connection; its record, its client credentials and what the master answered. */
export async function forgedWorker(h: Harness, slot = 'local-1'): Promise<{ worker: AttestedWorker; cred: { cert: string; key: string }; replies: string[]; ticket: string }> {
  expectSlot(h, slot);
  const ticket = h.tickets.get(slot) as string;
  const c = await connectRaw(h, slot);
  const forged = forgeAttest(h, c, slot);
  c.send(forged.msg);
  const replies = (await c.closed()).messages.map((m) => String(m.type));
  const worker = h.broker.workers.get(slot);
  if (!worker) throw new Error(`the master did not provision ${slot}: ${replies.join(', ')}`);
  return { worker, cred: { cert: derToPem(worker.clientCertDer), key: forged.identityKey.export({ type: 'pkcs8', format: 'pem' }) as string }, replies, ticket };
}

/**
 * Connects to the executor port (with a client certificate, or none) and
 * resolves once the master has decided: accepted (an `exec-connection`
 * decision 'accepted' is recorded; the socket stays open) or refused (the
 * decision 'refused', or a stranger's refusal counted, then the master
 * closes the socket). No timer decides
 * for it, so a slow machine cannot turn a late refusal into an acceptance.
 */
export function execConnect(h: Harness, es: ExecServer, cred?: { cert: string; key: string }, patienceMs = 60_000): Promise<{ accepted: boolean; socket: tls.TLSSocket }> {
  const decided = h.decisions.filter((d) => d.type === 'exec-connection').length;
  const strangers = h.broker.strangerRefusals.total;
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...es.address, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...(cred ?? {}) });
    s.on('error', () => undefined);
    let closed = false;
    const end = Date.now() + patienceMs;
    const check = () => {
      const d = h.decisions.filter((x) => x.type === 'exec-connection')[decided];
      if (d?.type === 'exec-connection' && d.decision === 'accepted') return resolve({ accepted: true, socket: s });
      if (((d?.type === 'exec-connection' && d.decision === 'refused') || h.broker.strangerRefusals.total > strangers) && closed) return resolve({ accepted: false, socket: s });
      if (Date.now() > end) {
        s.destroy();
        return reject(new Error(`the executor port decided nothing within ${patienceMs / 1000} s (closed: ${closed})`));
      }
      setTimeout(check, 10);
    };
    s.on('close', () => (closed = true));
    check();
  });
}
