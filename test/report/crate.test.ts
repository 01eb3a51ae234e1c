/**
 * docs/report.md, "Provenance as a Workflow Run RO-Crate": the crate of a
 * real run (a killed worker, a killed master and a resume), read with rdflib
 * and the npm ro-crate library; no canary; and `receipt verify --ro-crate`
 * refuses a crate in which any recorded hash was changed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/needs.js';
import { CANARY, MASTER_PUB, OWNER, runDir, tmp } from './fixtures.js';
import { contextsMissing, loadRoCrate, rdfQuery, withLocalContexts } from './crate-rdf.js';

const rdfMissing = needs(['python3-rdflib']) || contextsMissing;
const PREFIX = `PREFIX s: <http://schema.org/> PREFIX dct: <http://purl.org/dc/terms/> PREFIX bs: <https://bioschemas.org/> PREFIX wfrun: <https://w3id.org/ro/terms/workflow-run#> PREFIX sf: <urn:sealflow:terms#> `;

async function exportTo(dir: string, extra: readonly string[] = []): Promise<void> {
  const r = await runCli(['receipt', 'export', '--run-dir', runDir('killed'), '--ro-crate', dir, '--master-key', MASTER_PUB, '--outputs', path.join(runDir('killed'), 'outputs'), ...extra]);
  assert.equal(r.code, 0, r.stderr);
}
const verify = (dir: string, receipt?: string) => runCli(['receipt', 'verify', '--ro-crate', dir, ...(receipt ? [receipt] : []), '--master-key', MASTER_PUB]);
const RECEIPT = () => path.join(runDir('killed'), 'receipt.json');

describe('receipt export --ro-crate', () => {
  const base = tmp('sealflow-crate-');
  const plain = path.join(base, 'plain');
  const named = path.join(base, 'named');

  test('the default crate holds no canary of the inputs, values or file names, and not the receipt (which names files)', async () => {
    await exportTo(plain);
    assert.deepEqual(fs.readdirSync(plain), ['ro-crate-metadata.json']);
    assert.doesNotMatch(fs.readFileSync(path.join(plain, 'ro-crate-metadata.json'), 'utf8'), CANARY);
  });

  test('the crate verifies against the receipt and the master pin', async () => {
    const r = await verify(plain, RECEIPT());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /crate OK: [\s\S]* 6 step actions/);
  });

  test('without the receipt the crate is refused, saying what to give', async () => {
    const r = await verify(plain);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds no receipt\.json .* give the run's receipt/);
  });

  test('changing any recorded hash (a file, the workflow, the executor bundle, an action\'s input, a measurement, the signature) makes the check fail', async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(plain, 'ro-crate-metadata.json'), 'utf8')) as { '@graph': Record<string, unknown>[] };
    const flip = (h: string) => (h[0] === '0' ? '1' : '0') + h.slice(1);
    const edits: [string, (g: Record<string, unknown>[]) => void][] = [
      ['a ciphertext hash', (g) => { const f = g.find((n) => String(n['@id']).startsWith('#ciphertext-'))!; f['sha256'] = flip(String(f['sha256'])); }],
      ['the workflow hash', (g) => { const f = g.find((n) => String(n['@id']).startsWith('#workflow-'))!; f['sha256'] = flip(String(f['sha256'])); }],
      ['the executor bundle hash', (g) => { const f = g.find((n) => String(n['@id']).startsWith('#executor-'))!; f['sha256'] = flip(String(f['sha256'])); }],
      ['an action\'s input', (g) => { const a = g.find((n) => n['@type'] === 'CreateAction' && String(n['@id']).startsWith('#action-count'))!; a['object'] = (g.find((n) => String(n['@id']).startsWith('#run-'))!)['result']; }],
      ['a worker\'s measurement', (g) => { const a = g.find((n) => n['@type'] === 'CreateAction' && n['sealflowMeasurement'] !== undefined)!; a['sealflowMeasurement'] = flip(String(a['sealflowMeasurement'])); }],
      ['the receipt signature', (g) => { const a = g.find((n) => String(n['@id']).startsWith('#run-'))!; a['sealflowReceiptSignature'] = `A${String(a['sealflowReceiptSignature']).slice(1)}`; }],
    ];
    for (const [what, edit] of edits) {
      const dir = path.join(base, `tampered-${what.replace(/\W+/g, '-')}`);
      fs.mkdirSync(dir);
      const g = structuredClone(meta['@graph']);
      edit(g);
      fs.writeFileSync(path.join(dir, 'ro-crate-metadata.json'), JSON.stringify({ ...meta, '@graph': g }));
      const r = await verify(dir, RECEIPT());
      assert.equal(r.code, 1, `${what}: ${r.stdout}`);
      assert.match(r.stderr, /does not match the receipt signed by the master|not the receipt's/, what);
    }
  });

  test('a directory without crate metadata is a usage error (exit status 2) saying what to give', async () => {
    const r = await verify(base, RECEIPT());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no ro-crate-metadata\.json there/);
  });

  test('a crate that is not JSON, has no @graph, or holds an entity twice is refused, naming the file', async () => {
    const cases: [string, string, RegExp][] = [
      ['not-json', '{"@graph": [', /not a readable JSON file/],
      ['no-graph', '{"@context": []}', /no @graph array: not an RO-Crate/],
      ['twice', JSON.stringify({ '@graph': [{ '@id': './' }, { '@id': './' }] }), /entity \.\/ appears twice/],
    ];
    for (const [name, text, why] of cases) {
      const dir = path.join(base, `hostile-${name}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'ro-crate-metadata.json'), text);
      const r = await verify(dir, RECEIPT());
      assert.equal(r.code, 1, name);
      assert.match(r.stderr, why, name);
      assert.match(r.stderr, /ro-crate-metadata\.json/, name);
    }
  });

  test('names and values go in only with the owner identity; then the crate holds the receipt, verifies on its own and is 0600', async () => {
    const refused = await runCli(['receipt', 'export', '--run-dir', runDir('killed'), '--ro-crate', path.join(base, 'x'), '--master-key', MASTER_PUB, '--include-names']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /need --identity/);
    const stranger = path.join(base, 'stranger.txt');
    assert.equal((await runCli(['keygen', '-o', stranger])).code, 0);
    const wrong = await runCli(['receipt', 'export', '--run-dir', runDir('killed'), '--ro-crate', path.join(base, 'y'), '--master-key', MASTER_PUB, '--outputs', path.join(runDir('killed'), 'outputs'), '--include-names', '--identity', stranger]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /does not open the run's outputs .* not the owner identity/);
    assert.equal(fs.existsSync(path.join(base, 'y')), false, 'nothing written');
    await exportTo(named, ['--include-names', '--include-values', '--identity', OWNER]);
    assert.equal(fs.statSync(path.join(named, 'receipt.json')).mode & 0o777, 0o600);
    const text = fs.readFileSync(path.join(named, 'ro-crate-metadata.json'), 'utf8');
    assert.match(text, /CANARYNAME7731\.txt/);
    assert.match(text, /CANARYVALUE7731/);
    const r = await verify(named);
    assert.equal(r.code, 0, r.stderr);
  });

  test('rdflib reads the crate as JSON-LD with the profile\'s required triples', { skip: rdfMissing }, () => {
    const facts = rdfQuery(path.join(plain, 'ro-crate-metadata.json'), {
      profile: `${PREFIX} ASK { <file:///crate/> a s:Dataset ; dct:conformsTo <https://w3id.org/ro/wfrun/provenance/0.5> ; s:mainEntity ?wf . ?wf a bs:ComputationalWorkflow, s:SoftwareSourceCode, s:MediaObject, s:HowTo ; wfrun:sha256 ?h }`,
      run: `${PREFIX} ASK { ?run a s:CreateAction ; s:instrument ?wf ; s:result ?out ; s:object ?in ; sf:receiptSignature ?sig ; sf:masterPin ?pin . ?wf a bs:ComputationalWorkflow . ?out wfrun:sha256 ?h }`,
      steps: `${PREFIX} SELECT ?tool ?m ?ev WHERE { ?a a s:CreateAction ; s:instrument ?tool ; sf:measurement ?m ; sf:evidenceClass ?ev . ?wf s:hasPart ?tool . ?step a s:HowToStep ; s:workExample ?tool . ?wf s:step ?step . ?c a s:ControlAction ; s:instrument ?step ; s:object ?a . }`,
      organize: `${PREFIX} ASK { ?o a s:OrganizeAction ; s:instrument ?engine ; s:result ?run ; s:object ?c . ?engine a s:SoftwareApplication . ?c a s:ControlAction . ?run a s:CreateAction ; s:instrument ?wf . ?wf a bs:ComputationalWorkflow }`,
    });
    assert.ok((facts['triples'] as number) > 100);
    assert.equal(facts['profile'], true);
    assert.equal(facts['run'], true);
    assert.equal(facts['organize'], true);
    const steps = facts['steps'] as string[][];
    assert.equal(steps.length, 6, 'each step instance\'s run, with its tool, measurement and evidence class');
    assert.ok(steps.every(([, m, ev]) => /^[0-9a-f]{96}$/.test(m ?? '') && ev === 'simulated'));
  });

  test('the npm ro-crate library reads the crate and its validator finds no error', { skip: contextsMissing }, async () => {
    const json = JSON.parse(fs.readFileSync(path.join(plain, 'ro-crate-metadata.json'), 'utf8')) as unknown;
    const roCrate = loadRoCrate();
    const crate = new roCrate.ROCrate(json, { array: true, link: true });
    await withLocalContexts(() => crate.resolveContext()); // the validator's term checks read the library's context cache
    assert.equal(crate.resolveTerm('sha256'), 'https://w3id.org/ro/terms/workflow-run#sha256');
    assert.equal(crate.resolveTerm('sealflowMeasurement'), 'urn:sealflow:terms#measurement');
    const root = crate.rootDataset;
    const conforms = (root['conformsTo'] as { '@id': string }[]).map((c) => c['@id']);
    assert.ok(conforms.includes('https://w3id.org/ro/wfrun/provenance/0.5'));
    const actions = [...crate.entities()].filter((e) => (e['@type'] as string[]).includes('CreateAction'));
    assert.equal(actions.length, 7);
    const fresh = JSON.parse(fs.readFileSync(path.join(plain, 'ro-crate-metadata.json'), 'utf8')) as unknown; // the library links the JSON it is given in place
    const results = await withLocalContexts(() => roCrate.validate(fresh));
    assert.deepEqual(results.filter((r) => r.status === 'error'), []);
  });
});
