/**
 * Where the master's provisioning and executor ports listen (`advertise:`
 * in sealflow.yaml, docs/workflow-format.md): one address, which is also
 * the one workers are given. A port of 0 takes any free port; a range lets
 * several runs on one machine share a few firewall-opened ports (each run
 * takes the first two free ones).
 */
export interface Advertise {
  /** An IPv4 or IPv6 address (no brackets) or a host name; never a wildcard. */
  readonly host: string;
  /** 0 (any free port), or an inclusive range of at least two ports (`host:P` is P to P+1). */
  readonly port: number | readonly [number, number];
  /** Where it was configured (file:line), for errors. */
  readonly where?: string;
}

/** The default: loopback, any free port (workers on this machine, or through an SSH forward). */
export const LOOPBACK: Advertise = { host: '127.0.0.1', port: 0 };

/** `host:port` as a worker dials it (IPv6 in brackets). */
export const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** True for addresses only this machine can reach. */
export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * Parses `host:port` or `host:first-last` (`[v6]:port` for IPv6); throws an
 * Error whose message says what is wrong and what to write instead.
 */
export function parseAdvertise(text: string): Advertise {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw new Error(`advertise must be 'host:port' or 'host:first-last' (IPv6 as '[addr]:port'), e.g. '10.0.0.5:7000-7009'; got ${JSON.stringify(text)}`);
  const host = (m[1] ?? m[2] ?? '').toLowerCase();
  if (m[1] !== undefined ? !IPV6.test(host) || !host.includes(':') : !(IPV4.test(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host)))) {
    throw new Error(`advertise: ${JSON.stringify(host)} is not an IP address or host name`);
  }
  if (host === '0.0.0.0' || host === '::' || /^0*:?(:0*)*$/.test(host)) {
    throw new Error(`advertise: ${host} is a wildcard: it would listen on every interface, and workers cannot dial it. Give the one address workers reach this machine at`);
  }
  const first = Number(m[3]);
  const last = m[4] === undefined ? undefined : Number(m[4]);
  if (first > 65535 || (last !== undefined && last > 65535)) throw new Error(`advertise: ports are at most 65535; got ${text.trim()}`);
  // One port P: the provisioning port P and the executor port P+1.
  if (last === undefined) {
    if (first === 0) return { host, port: 0 };
    if (first >= 65535) throw new Error(`advertise: port ${first} leaves no room for the executor port (${first}+1); give a lower port or a range`);
    return { host, port: [first, first + 1] };
  }
  if (first === 0 || last < first + 1) throw new Error(`advertise: a port range holds at least two ports (the provisioning and the executor port of one run), from 1 up; got ${first}-${last}`);
  return { host, port: [first, last] };
}
