/**
 * bench/transfer's producer: one worker's data port (docs/protocol.md §15)
 * in its own process, serving one ciphertext. Reads its identity from the
 * 0600 JSON file named by argv[2], offers argv[3] under argv[4] (SHA-256),
 * prints its address as one JSON line, and serves until stdin closes.
 */
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import { DataPort } from '../../src/worker/attested/data-port.js';

interface IdentityFile {
  readonly runId: string;
  readonly runCaDer: string;
  readonly certDer: string;
  readonly keyPem: string;
}

const [identityPath, file, sha256] = process.argv.slice(2);
if (!identityPath || !file || !sha256) throw new Error('usage: producer.js IDENTITY.json FILE SHA256');
const id = JSON.parse(fs.readFileSync(identityPath, 'utf8')) as IdentityFile;
const port = await DataPort.start({ runId: id.runId, runCaDer: Buffer.from(id.runCaDer, 'base64'), certDer: Buffer.from(id.certDer, 'base64'), key: createPrivateKey(id.keyPem) });
port.offer(file, file, sha256);
process.stdout.write(JSON.stringify(port.address) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void port.close().then(() => process.exit(0)));
