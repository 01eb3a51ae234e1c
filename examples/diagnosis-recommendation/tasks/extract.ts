/**
 * Step `extract` (SecDATAVIEW's "Extraction"): pulls age, heart rate,
 * glucose, smoking, obesity and the diagnosis labels out of each free-text
 * record with regular expressions, streaming, into the patient table.
 * A value that is not found is 0 (as in SecDATAVIEW).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { defineTask } from 'sealflow';
import { writeTable, type Patient } from '../table.js';

const AGE = /(\d{1,3})\s+years?\s+old/i;
const HEART_RATE = /heart\s?rate\s+is\s+(\d{1,3})/i;
const GLUCOSE = /glucose\s+is\s+(\d{1,3})/i;
const SMOKER = /patient is smoker/i;
const OBESE = /has obesity/i;
const DIAGNOSIS = /diagnosis:\s*([\w-]+(?:_[\w-]+)*)\s*$/i;

export function extractPatient(record: string): Patient {
  const num = (re: RegExp): number => Number(re.exec(record)?.[1] ?? 0);
  return {
    age: num(AGE),
    heartRate: num(HEART_RATE),
    glucose: num(GLUCOSE),
    smoker: SMOKER.test(record),
    obese: OBESE.test(record),
    labels: DIAGNOSIS.exec(record)?.[1]?.split('_') ?? [],
  };
}

export const extract = defineTask({
  inputs: { records: 'file' },
  outputs: { table: 'file' },
  async run({ records }, ctx) {
    const out = ctx.path('patients.csv');
    const lines = createInterface({ input: createReadStream(records), crlfDelay: Infinity });
    const n = await writeTable(out, (async function* () {
      for await (const line of lines) if (line.trim() !== '') yield extractPatient(line);
    })());
    ctx.log(`${n} records`);
    return { table: out };
  },
});
