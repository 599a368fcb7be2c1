/**
 * Secrets (key passphrases, passwords) are handed to ssh2 and nothing else: not to the log
 * callback, not into error messages, not to stdout/stderr of this process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { SshConnection, SshError } from '../../host/src/ssh/connection';
import { resolveHost } from '../../host/src/ssh/hosts';
import { sshdSkipReason, startSshd, TestSshd } from '../support/sshd';

const skip = sshdSkipReason();
const PASSPHRASE = `pp-${process.pid}-${Date.now()}-s3cr3t`;
let sshd: TestSshd;
let encryptedKey: string;

before(async () => {
  if (skip) return;
  sshd = await startSshd();
  encryptedKey = `${sshd.dir}/encrypted_key`;
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-f', encryptedKey]);
  // Only the encrypted key is authorized for root from now on.
  fs.copyFileSync(`${encryptedKey}.pub`, `${sshd.dir}/authorized_keys/root`);
});
after(() => sshd?.stop());

/** Everything this process writes to stdout/stderr while `run` runs. */
async function capturingOutput<T>(run: () => Promise<T>): Promise<{ value?: T; error?: unknown; output: string }> {
  const chunks: string[] = [];
  const original = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => { chunks.push(String(chunk)); return original.out(chunk as string, ...(rest as [])); }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => { chunks.push(String(chunk)); return original.err(chunk as string, ...(rest as [])); }) as typeof process.stderr.write;
  try {
    return { value: await run(), output: chunks.join('') };
  } catch (error) {
    return { error, output: chunks.join('') };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  }
}

const hostWithKey = () => ({ ...resolveHost('bpfdev-test', fs.readFileSync(sshd.configPath, 'utf8')), identityFiles: [encryptedKey], identitiesOnly: true });

test('a key passphrase is asked for, used, and appears in no log, message or output', { skip }, async () => {
  const logged: string[] = [];
  const asked: string[] = [];
  const { value: connection, error, output } = await capturingOutput(() => SshConnection.connect(hostWithKey(), {
    askHostKey: async () => false,
    askSecret: async (request) => { asked.push(`${request.kind}:${request.id}`); return request.kind === 'passphrase' ? PASSPHRASE : undefined; },
    log: (message) => logged.push(message),
  }));
  assert.equal(error, undefined, String(error));
  assert.deepEqual(asked, [`passphrase:passphrase:${encryptedKey}`]);
  const result = await connection!.exec(['echo', 'ok']);
  assert.equal(result.stdout.toString(), 'ok\n');
  await connection!.dispose();
  for (const text of [...logged, output]) assert.ok(!text.includes(PASSPHRASE), 'the passphrase leaked');
});

test('a wrong passphrase fails authentication without echoing what was typed', { skip }, async () => {
  const wrong = `${PASSPHRASE}-wrong`;
  const logged: string[] = [];
  const { error, output } = await capturingOutput(() => SshConnection.connect(hostWithKey(), {
    askHostKey: async () => false,
    askSecret: async (request) => (request.kind === 'passphrase' ? wrong : undefined),
    log: (message) => logged.push(message),
  }));
  assert.ok(error instanceof SshError);
  assert.equal(error.code, 'AUTH_FAILED');
  for (const text of [...logged, output, error.message, error.hint ?? '', String(error.stack)]) {
    assert.ok(!text.includes(wrong), 'the typed passphrase leaked');
  }
});
