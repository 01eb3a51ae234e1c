import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { overheadChart, scalingCharts } from '../../src/bench/charts.js';
import { barChart, lineChart, niceScale, wrap } from '../../src/bench/svg.js';
import { assertWellFormedSvg, fakeCase, fakeResults, seriesOf } from './fixture.js';

describe('the SVG chart writer', () => {
  test('a bar chart is well-formed SVG with one series group per series and a bar per present value', () => {
    const svg = barChart({
      title: 'a <title> & "quotes"', yLabel: 'x', groups: ['g1', 'g2'],
      series: [{ name: 'A&B', values: [1, 2], lo: [0.5, 1.5], hi: [1.5, 2.5] }, { name: 'C', values: [null, 3] }],
      refLine: { value: 1, label: 'native' }, notes: ['a note that is long enough to wrap '.repeat(5)],
    });
    assertWellFormedSvg(svg);
    assert.deepEqual(seriesOf(svg), ['A&amp;B', 'C']);
    assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 3, 'three bars: the null value draws none');
    assert.ok(svg.includes('a &lt;title&gt; &amp; &quot;quotes&quot;'));
  });

  test('a line chart is well-formed SVG with a polyline per series of two or more points', () => {
    const svg = lineChart({ title: 't', xLabel: 'threads', yLabel: 's', x: [1, 2, 4], series: [{ name: 'native', values: [3, 2, 1.5] }, { name: 'sf', values: [4, null, 2] }] });
    assertWellFormedSvg(svg);
    assert.deepEqual(seriesOf(svg), ['native', 'sf']);
    assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
    assert.equal((svg.match(/<circle/g) ?? []).length, 5);
  });

  test('axes get round tick steps and notes wrap at spaces', () => {
    assert.deepEqual(niceScale(9.3), { top: 10, step: 2 });
    assert.deepEqual(niceScale(0), { top: 1, step: 0.2 });
    assert.deepEqual(wrap('aa bb cc dd', 5), ['aa bb', 'cc dd']);
  });

  test('the overhead chart has a series per configuration that ran and names the ones that did not', () => {
    const r = fakeResults([fakeCase('word-count', '10MB', null, { native: [1, 1.2, 1.1], 'none-plain': [2, 2.2, 2.1] })]);
    const svg = overheadChart(r);
    assertWellFormedSvg(svg);
    assert.deepEqual(seriesOf(svg), ['none-plain: sealflow, no TEE, no encryption']);
    assert.match(svg, /not run \(no TEE hardware here\)/);
    assert.match(svg, /1\.91/, 'the median ratio 2.1 / 1.1 is labelled');
  });

  test('thread-scaling charts plot native and each sealflow configuration over the thread counts', () => {
    const r = fakeResults([
      fakeCase('dna-alignment', 'lambda', 1, { native: [4], 'none-plain': [5] }),
      fakeCase('dna-alignment', 'lambda', 2, { native: [2.5], 'none-plain': [3] }),
    ]);
    const charts = scalingCharts(r);
    assert.equal(charts.length, 1);
    assertWellFormedSvg(charts[0]!.svg);
    assert.deepEqual(seriesOf(charts[0]!.svg), ['native: native (no sealflow)', 'none-plain: sealflow, no TEE, no encryption']);
  });
});
