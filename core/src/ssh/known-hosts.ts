/**
 * OpenSSH `known_hosts` parsing and host-key decisions. Pure: hashing of `|1|salt|hash` host
 * names needs HMAC-SHA1, which the caller passes in (node:crypto lives outside core/).
 *
 * Decision rules, as OpenSSH applies them: a host whose entries include the offered key is
 * trusted; a host with entries of the same key type but none equal is a changed key (refuse);
 * a host without entries (or only of other key types) is unknown (ask the user).
 */

export interface KnownHostEntry {
  /** 1-based line number in the file, for "remove line N" messages. */
  line: number;
  marker?: '@cert-authority' | '@revoked';
  patterns: HostPattern[];
  keyType: string;
  keyBase64: string;
}

export type HostPattern =
  | { kind: 'plain'; pattern: string; negated: boolean }
  | { kind: 'hashed'; saltBase64: string; hashBase64: string };

export type HmacSha1 = (keyBase64: string, data: string) => string;

export function parseKnownHosts(text: string): { entries: KnownHostEntry[]; errors: string[] } {
  const entries: KnownHostEntry[] = [];
  const errors: string[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@cert-authority' || fields[0] === '@revoked') marker = fields.shift() as KnownHostEntry['marker'];
    if (fields.length < 3) {
      errors.push(`line ${index + 1}: expected "hosts keytype key"`);
      continue;
    }
    const [hosts, keyType, keyBase64] = fields;
    const patterns: HostPattern[] = [];
    for (const pattern of hosts.split(',')) {
      if (pattern.startsWith('|1|')) {
        const [, , saltBase64, hashBase64] = pattern.split('|');
        if (saltBase64 && hashBase64) patterns.push({ kind: 'hashed', saltBase64, hashBase64 });
        else errors.push(`line ${index + 1}: malformed hashed host name`);
      } else if (pattern) {
        const negated = pattern.startsWith('!');
        patterns.push({ kind: 'plain', pattern: negated ? pattern.slice(1) : pattern, negated });
      }
    }
    entries.push({ line: index + 1, ...(marker ? { marker } : {}), patterns, keyType, keyBase64 });
  }
  return { entries, errors };
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function entryMatchesHost(entry: KnownHostEntry, name: string, hmacSha1: HmacSha1): boolean {
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.kind === 'hashed') {
      if (hmacSha1(pattern.saltBase64, name) === pattern.hashBase64) matched = true;
    } else if (globMatches(pattern.pattern, name)) {
      if (pattern.negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type HostKeyDecision =
  | { verdict: 'trusted'; line: number }
  | { verdict: 'revoked'; line: number }
  | { verdict: 'changed'; line: number; expectedType: string }
  | { verdict: 'unknown' };

export function decideHostKey(entries: readonly KnownHostEntry[], name: string, keyType: string, keyBase64: string, hmacSha1: HmacSha1): HostKeyDecision {
  const forHost = entries.filter((entry) => entry.marker !== '@cert-authority' && entryMatchesHost(entry, name, hmacSha1));
  const revoked = forHost.find((entry) => entry.marker === '@revoked' && entry.keyBase64 === keyBase64);
  if (revoked) return { verdict: 'revoked', line: revoked.line };
  const same = forHost.find((entry) => !entry.marker && entry.keyType === keyType && entry.keyBase64 === keyBase64);
  if (same) return { verdict: 'trusted', line: same.line };
  const conflicting = forHost.find((entry) => !entry.marker && entry.keyType === keyType);
  if (conflicting) return { verdict: 'changed', line: conflicting.line, expectedType: conflicting.keyType };
  return { verdict: 'unknown' };
}

/** Key types already recorded for a host: offered first during key exchange, as OpenSSH does. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string, hmacSha1: HmacSha1): string[] {
  return [...new Set(entries.filter((entry) => !entry.marker && entryMatchesHost(entry, name, hmacSha1)).map((entry) => entry.keyType))];
}

/** `*` and `?` wildcards, the only ones known_hosts patterns use. */
function globMatches(pattern: string, text: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern.toLowerCase() === text.toLowerCase();
  let p = 0, t = 0, star = -1, mark = 0;
  const P = pattern.toLowerCase(), T = text.toLowerCase();
  while (t < T.length) {
    if (p < P.length && (P[p] === '?' || P[p] === T[t])) { p++; t++; }
    else if (p < P.length && P[p] === '*') { star = p++; mark = t; }
    else if (star >= 0) { p = star + 1; t = ++mark; }
    else return false;
  }
  while (p < P.length && P[p] === '*') p++;
  return p === P.length;
}
