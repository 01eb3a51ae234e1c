/**
 * `advertise:` in sealflow.yaml (docs/workflow-format.md, docs/protocol.md
 * §0.1): the one address the master listens on and workers dial; checked at
 * load, with the file:line of the value in every error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadRunConfig } from '../../src/engine/config/load-run-config.js';
import { hostPort, parseAdvertise } from '../../src/master/advertise.js';
import { loadWorkflow } from '../../src/workflow/index.js';
import { rejectsWith, tempDir } from '../helpers/workflow.js';

const FLOW = 'steps:\n  a:\n    command: [true]\n';
const DEPLOY = 'deployments:\n  enclaves: { connector: local, platform: sim, workers: 1 }\n';

async function load(config: string) {
  const dir = await tempDir({ 'flow.yaml': FLOW, 'sealflow.yaml': config });
  return loadRunConfig(await loadWorkflow(dir));
}

describe('advertise: in the run configuration', () => {
  test('is absent by default (loopback, any free port) and read as an address with a port, two ports, or a range', async () => {
    assert.equal((await load(DEPLOY)).advertise, undefined);
    const a = await load(`${DEPLOY}advertise: 10.1.2.3:7000-7009\n`);
    assert.deepEqual([a.advertise?.host, a.advertise?.port], ['10.1.2.3', [7000, 7009]]);
    assert.match(a.advertise?.where ?? '', /sealflow\.yaml:3$/);
    assert.deepEqual(parseAdvertise('10.1.2.3:7000').port, [7000, 7001], 'one port: the provisioning port and the next, the executor port');
    assert.deepEqual(parseAdvertise('[fd00::5]:0'), { host: 'fd00::5', port: 0 });
    assert.deepEqual(parseAdvertise('master.cluster.example:9000-9001'), { host: 'master.cluster.example', port: [9000, 9001] });
    assert.equal(hostPort('fd00::5', 7000), '[fd00::5]:7000');
    assert.equal(hostPort('10.1.2.3', 7000), '10.1.2.3:7000');
  });

  const bad: readonly [string, string, RegExp][] = [
    ['a wildcard address', '0.0.0.0:7000', /0\.0\.0\.0 is a wildcard: it would listen on every interface, and workers cannot dial it/],
    ['an IPv6 wildcard', '"[::]:7000"', /:: is a wildcard/],
    ['no port', '10.1.2.3', /advertise must be 'host:port' or 'host:first-last'/],
    ['a reversed range', '10.1.2.3:7009-7000', /a port range holds at least two ports/],
    ['a range of one port', '10.1.2.3:7000-7000', /a port range holds at least two ports/],
    ['a port past 65535', '10.1.2.3:70000', /ports are at most 65535/],
    ['a malformed address', '10.1.2:7000', /is not an IP address or host name/],
    ['an empty host', "':7000'", /is not an IP address or host name/],
  ];
  for (const [what, value, message] of bad) {
    test(`refuses ${what} at the line of the value`, async () => {
      await rejectsWith(load(`${DEPLOY}advertise: ${value}\n`), 'sealflow.yaml:3:', message);
    });
  }

  test('refuses an address other than 127.0.0.1 when an ssh deployment reaches the master through its reverse forward', async () => {
    const ssh = `${DEPLOY}  far: { connector: ssh, platform: none, host: h1.example, workers: 1 }\ndefault: enclaves\n`;
    await rejectsWith(load(`${ssh}advertise: 10.1.2.3:7000-7009\n`), 'sealflow.yaml:5:', 'deployment "far"', 'reach: ssh-tunnel', 'Advertise 127.0.0.1');
    assert.equal((await load(`${ssh}advertise: 127.0.0.1:7000-7009\n`)).advertise?.host, '127.0.0.1');
  });
});
