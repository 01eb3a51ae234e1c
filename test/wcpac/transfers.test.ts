/**
 * docs/protocol.md §15.7: `transfers:` — `local` deployments read other
 * workers' outputs from the master's copy unless they say `direct`; the
 * master names no data-port source to or from a `master` deployment; an
 * unknown value is an input error.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { checkTransfers } from '../../src/cli/run-encryption.js';
import { transfersOf } from '../../src/master/start.js';
import { DataSources } from '../../src/master/sources.js';
import { InputError } from '../../src/errors.js';
import type { AttestedWorker } from '../../src/master/broker/types.js';
import { setup } from './harness.js';

describe('§15.7 master\'s copy or data port', () => {
  test('§15.7 local, ssh and slurm deployments default to the master\'s copy; transfers: direct|master overrides; anything else is refused', () => {
    assert.equal(transfersOf({ connector: 'local', options: {} }), 'master');
    assert.equal(transfersOf({ connector: 'local', options: { transfers: 'direct' } }), 'direct');
    assert.equal(transfersOf({ connector: 'ssh', options: {} }), 'master');
    assert.equal(transfersOf({ connector: 'slurm', options: {} }), 'master');
    assert.equal(transfersOf({ connector: 'slurm', options: { transfers: 'master' } }), 'master');
    assert.throws(() => checkTransfers([{ id: 'd', connector: 'local', platform: 'sim', workers: 1, options: { transfers: 'fast' } }]), (e: unknown) => e instanceof InputError && /transfers: "fast"/.test(e.message));
  });

  test('§15.7 no source is named when the producer or the consumer reads the master\'s copy', async () => {
    const h = await setup();
    try {
      const sources = new DataSources(h.broker);
      for (const [slot, transfers] of [['a-1', 'direct'], ['a-2', 'direct'], ['m-1', 'master']] as const) {
        h.broker.expect({ slot, deployment: slot.slice(0, 1), connector: 'local', platform: 'sim', transfers });
        // A live attested worker with a data port (what attestation and `ready` would record).
        h.broker.workers.set(slot, { ...h.broker.expected.get(slot)!, alive: true } as unknown as AttestedWorker);
        sources.join(slot, { host: '127.0.0.1', port: 1 }, () => undefined);
      }
      sources.produced('a-1', 'f.age');
      sources.produced('m-1', 'g.age');
      assert.equal(sources.sourceFor('f.age', 'a-2')?.slot, 'a-1', 'direct to direct: pulled');
      assert.equal(sources.sourceFor('f.age', 'm-1'), undefined, 'a master-copy consumer does not pull');
      assert.equal(sources.sourceFor('g.age', 'a-2'), undefined, 'nobody pulls from a master-copy producer');
    } finally {
      await h.close();
    }
  });
});
