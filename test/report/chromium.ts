/** Debian's headless Chromium, as the report tests drive it: dump a page's DOM (with its console messages) or screenshot it. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { needs } from '../helpers/needs.js';

export const chromiumMissing: string | false = needs(['chromium']);

export interface Loaded {
  readonly dom: string;
  /** The page's console messages and uncaught errors (Chromium logs them as CONSOLE lines). */
  readonly console: string[];
}

function chromium(args: readonly string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sealflow-chromium-'));
  return new Promise((resolve, reject) => {
    const child = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-background-networking', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      fs.rmSync(profile, { recursive: true, force: true });
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code });
    });
  });
}

const consoleLines = (stderr: string) => stderr.split('\n').filter((l) => l.includes(':CONSOLE'));

/** The DOM after the page's scripts ran, and what it logged. */
export async function load(url: string): Promise<Loaded> {
  const r = await chromium(['--dump-dom', url]);
  if (r.code !== 0) throw new Error(`chromium exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return { dom: r.stdout, console: consoleLines(r.stderr) };
}

export async function screenshot(url: string, file: string, size = '1400,1100'): Promise<string[]> {
  const r = await chromium([`--window-size=${size}`, `--screenshot=${file}`, '--hide-scrollbars', url]);
  if (r.code !== 0 || !fs.existsSync(file)) throw new Error(`chromium exited ${r.code} without ${file}: ${r.stderr.slice(-2000)}`);
  return consoleLines(r.stderr);
}
