/** known_hosts on disk: verification of a server's key, and recording one the user accepted. */
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decideHostKey, HostKeyDecision, knownHostsName, knownKeyTypes, parseKnownHosts } from '../../../core/src/ssh/known-hosts';

const hmacSha1 = (saltBase64: string, data: string): string =>
  createHmac('sha1', Buffer.from(saltBase64, 'base64')).update(data).digest('base64');

export interface OfferedHostKey {
  keyType: string;
  keyBase64: string;
  /** `SHA256:…`, as `ssh-keygen -lf` and OpenSSH prompts print it. */
  fingerprint: string;
}

/** Reads the algorithm name at the start of an SSH wire-format public key blob. */
export function describeHostKey(blob: Buffer): OfferedHostKey {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const keyType = blob.subarray(4, 4 + length).toString('latin1');
  const fingerprint = 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  return { keyType, keyBase64: blob.toString('base64'), fingerprint };
}

export class KnownHostsStore {
  constructor(private readonly files: string[]) {}

  decide(host: string, port: number, key: OfferedHostKey): HostKeyDecision & { file?: string } {
    const name = knownHostsName(host, port);
    let unknown: HostKeyDecision = { verdict: 'unknown' };
    for (const file of this.files) {
      const { entries } = parseKnownHosts(readIfAny(file));
      const decision = decideHostKey(entries, name, key.keyType, key.keyBase64, hmacSha1);
      if (decision.verdict !== 'unknown') return { ...decision, file };
      unknown = decision;
    }
    return unknown;
  }

  /** Host key algorithms already recorded for the host, to ask the server for those first. */
  preferredKeyTypes(host: string, port: number): string[] {
    const name = knownHostsName(host, port);
    return this.files.flatMap((file) => knownKeyTypes(parseKnownHosts(readIfAny(file)).entries, name, hmacSha1));
  }

  /** Appends an accepted key to the first known_hosts file, creating ~/.ssh with safe modes. */
  add(host: string, port: number, key: OfferedHostKey): string {
    const file = this.files[0];
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const existing = readIfAny(file);
    const separator = existing && !existing.endsWith('\n') ? '\n' : '';
    fs.appendFileSync(file, `${separator}${knownHostsName(host, port)} ${key.keyType} ${key.keyBase64}\n`, { mode: 0o600 });
    return file;
  }
}

function readIfAny(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
