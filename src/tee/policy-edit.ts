/**
 * Adding a measurement to a policy file (`sealflow policy add-measurement`,
 * `sealflow tee measure --policy`): the inline list `key: [...]` under the
 * platform's section gains the value, comments and everything else kept.
 * The result must load as a policy before it replaces the file.
 */
export type MeasuredPlatform = 'sgx' | 'sev-snp' | 'sim';

const KEY: Readonly<Record<MeasuredPlatform, string>> = { sgx: 'mrEnclaves', 'sev-snp': 'measurements', sim: 'measurements' };
const LENGTH: Readonly<Record<MeasuredPlatform, number>> = { sgx: 64, 'sev-snp': 96, sim: 96 };

export class PolicyEditError extends Error {}

/** `text` with `hex` added to the platform's list (unchanged if already there). Throws PolicyEditError saying what to do. */
export function addMeasurement(text: string, platform: MeasuredPlatform, value: string, file = 'the policy'): { text: string; added: boolean } {
  const hex = value.trim().toLowerCase().replace(/^0x/, '');
  if (!new RegExp(`^[0-9a-f]{${LENGTH[platform]}}$`).test(hex)) throw new PolicyEditError(`${JSON.stringify(value)} is not a ${platform} measurement (${LENGTH[platform] / 2} bytes of hex)`);
  const lines = text.split('\n');
  const section = lines.findIndex((l) => l.replace(/\s+#.*$/, '').trimEnd() === `${platform}:`);
  if (section < 0) {
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    return { text: `${text}${sep}${platform}:\n  ${KEY[platform]}: ["${hex}"]\n`, added: true };
  }
  for (let i = section + 1; i < lines.length && /^(\s|#|$)/.test(lines[i] as string); i++) {
    const m = new RegExp(`^(\\s+)${KEY[platform]}:\\s*\\[([^\\]]*)\\](.*)$`).exec(lines[i] as string);
    if (!m) continue;
    const items = (m[2] as string).split(',').map((s) => s.trim().replace(/^["']|["']$/g, '').toLowerCase()).filter((s) => s !== '');
    if (items.includes(hex)) return { text, added: false };
    lines[i] = `${m[1]}${KEY[platform]}: [${[...items, hex].map((s) => `"${s}"`).join(', ')}]${(m[3] as string).replace(/#\s*placeholder.*$/, '').trimEnd() === '' ? '' : m[3]}`;
    return { text: lines.join('\n'), added: true };
  }
  throw new PolicyEditError(`${file}: section ${platform}: has no one-line "${KEY[platform]}: [...]" list; add ${hex} to it by hand`);
}
