/** Where the ssh connector puts its control sockets: a path a Unix socket can have. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlBase } from '../../src/connectors/ssh/host.js';

const long = '/' + 'd'.repeat(60);

test('a short TMPDIR holds the control sockets', () => {
  assert.equal(controlBase('/tmp/x', '/tmp'), '/tmp/x');
});

test('a TMPDIR too long for a socket path gives way to /tmp', () => {
  assert.equal(controlBase(long, '/tmp'), '/tmp');
});

test('when neither fits, the error names TMPDIR and says to shorten it', () => {
  assert.throws(
    () => controlBase(long, long + '/tmp'),
    (e: Error) => e.message.includes(`TMPDIR (${long}) is too long for a socket path`) && e.message.includes('set TMPDIR to a short directory'),
  );
});
