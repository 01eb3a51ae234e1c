/** docs/protocol.md §3: the unmeasured values a measured provisioner reads from unmeasured.json, and what it refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUnmeasured, UnmeasuredError } from '../../src/worker/provisioner/unmeasured.js';
import { unmeasuredJson } from '../../src/tee/host.js';

const T = 'A'.repeat(20) + '_-' + 'z'.repeat(21); // a launch ticket's shape: 43 base64url characters

test('reads the values the launchers write, the launch ticket among them', () => {
  assert.deepEqual(parseUnmeasured(unmeasuredJson(['master.example:7443', 'enclaves-1', '/host/executor.bundle'], { SEALFLOW_TICKET: T })), { host: 'master.example', port: 7443, slot: 'enclaves-1', bundle: '/host/executor.bundle', ticket: T });
  assert.deepEqual(parseUnmeasured(unmeasuredJson(['[::1]:9', 's', 'b'], { SEALFLOW_TICKET: T })).host, '::1');
});

test('refuses hostile or malformed values, saying which', () => {
  const bad: [string, RegExp][] = [
    ['not json', /is not JSON/],
    ['[]', /is not a JSON object/],
    [`{"version":1,"master":"h:1","slot":"s","bundle":"b","ticket":"${T}","NODE_OPTIONS":"--require=x"}`, /must hold exactly version 1, master, slot, bundle and ticket/],
    ['{"version":1,"master":"h:1","slot":"s","bundle":"b"}', /must hold exactly version 1, master, slot, bundle and ticket/],
    ['{"version":1,"master":"h:1","slot":"s","bundle":"b","ticket":"short"}', /ticket must be the slot's launch ticket/],
    [`{"version":2,"master":"h:1","slot":"s","bundle":"b","ticket":"${T}"}`, /must hold exactly version 1/],
    [`{"version":1,"master":"--inspect=0.0.0.0:9229","slot":"s","bundle":"b","ticket":"${T}"}`, /master must be host:port/],
    [`{"version":1,"master":"h:70000","slot":"s","bundle":"b","ticket":"${T}"}`, /master must be host:port/],
    [`{"version":1,"master":"h:1","slot":"../../etc","bundle":"b","ticket":"${T}"}`, /slot must be/],
    [`{"version":1,"master":"h:1","slot":"s","bundle":"a\\u0000b","ticket":"${T}"}`, /bundle must be a path/],
    [JSON.stringify({ version: 1, master: 'h:1', slot: 's', bundle: 'x'.repeat(5000), ticket: T }), /longer than 4096 bytes/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseUnmeasured(text), (e: Error) => e instanceof UnmeasuredError && why.test(e.message), text.slice(0, 60));
});
