/**
 * The SSH facade against a real sshd on loopback: host-key trust (unknown → asked, changed →
 * refused, hashed entries), quoting that no file name can break, privilege detection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { SshConnection, SshError, HostKeyQuestion } from '../../host/src/ssh/connection';
import { resolveHost } from '../../host/src/ssh/hosts';
import { RemoteTarget } from '../../host/src/remote-target';
import { TargetError } from '../../host/src/target';
import { sshdSkipReason, startSshd, TestSshd } from '../support/sshd';

const skip = sshdSkipReason();
let sshd: TestSshd;

before(async () => { if (!skip) sshd = await startSshd({ users: true }); });
after(() => sshd?.stop());

const hostFrom = (alias: string, knownHosts?: string) => {
  const host = resolveHost(alias, fs.readFileSync(sshd.configPath, 'utf8'));
  return knownHosts ? { ...host, knownHostsFiles: [knownHosts] } : host;
};
const neverAsked = async (question: HostKeyQuestion): Promise<boolean> => { throw new Error(`unexpected host key question for ${question.fingerprint}`); };

test('a host in known_hosts connects without asking, and exec returns output and codes', { skip }, async () => {
  const connection = await SshConnection.connect(hostFrom('bpfdev-test'), { askHostKey: neverAsked });
  try {
    const result = await connection.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(result.code, 3);
    assert.equal(result.stdout.toString(), 'out\n');
    assert.equal(result.stderr, 'err\n');
  } finally {
    await connection.dispose();
  }
});

test('an unknown host key is asked with its SHA256 fingerprint; refused means no connection and no file change', { skip }, async () => {
  const knownHosts = `${sshd.dir}/empty_known_hosts`;
  fs.writeFileSync(knownHosts, '');
  const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.dir}/host_key.pub`], { encoding: 'utf8' }).split(' ')[1];
  const asked: HostKeyQuestion[] = [];
  await assert.rejects(
    SshConnection.connect(hostFrom('bpfdev-test', knownHosts), { askHostKey: async (q) => { asked.push(q); return false; } }),
    (error: SshError) => error.code === 'HOST_KEY_REJECTED');
  assert.equal(asked.length, 1);
  assert.equal(asked[0].fingerprint, expected);
  assert.equal(asked[0].keyType, 'ssh-ed25519');
  assert.equal(fs.readFileSync(knownHosts, 'utf8'), '');

  // Accepting records the key; the next connection is not asked again.
  const connection = await SshConnection.connect(hostFrom('bpfdev-test', knownHosts), { askHostKey: async () => true });
  await connection.dispose();
  assert.match(fs.readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `, 'm'));
  const again = await SshConnection.connect(hostFrom('bpfdev-test', knownHosts), { askHostKey: neverAsked });
  await again.dispose();
});

test('a changed host key is refused, naming the line to remove, and never asked', { skip }, async () => {
  const knownHosts = `${sshd.dir}/swapped_known_hosts`;
  const otherKey = `${sshd.dir}/other_host_key`;
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
  const otherPublic = fs.readFileSync(`${otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(knownHosts, `# comment\nexample.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOaB\n[127.0.0.1]:${sshd.port} ${otherPublic}\n`);
  await assert.rejects(
    SshConnection.connect(hostFrom('bpfdev-test', knownHosts), { askHostKey: neverAsked }),
    (error: SshError) => {
      assert.equal(error.code, 'HOST_KEY_CHANGED');
      assert.match(error.message, /CHANGED/);
      assert.match(error.hint ?? '', new RegExp(`remove line 3 of ${knownHosts.replace(/[.]/g, '\\.')}`));
      return true;
    });
});

test('hashed known_hosts entries (ssh-keygen -H) are honoured', { skip }, async () => {
  const knownHosts = `${sshd.dir}/hashed_known_hosts`;
  fs.copyFileSync(sshd.knownHostsPath, knownHosts);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', knownHosts]);
  assert.match(fs.readFileSync(knownHosts, 'utf8'), /^\|1\|/);
  const connection = await SshConnection.connect(hostFrom('bpfdev-test', knownHosts), { askHostKey: neverAsked });
  await connection.dispose();
});

test('arguments with quotes, $(), backticks, globs and newlines reach the host verbatim (fuzzed)', { skip }, async () => {
  const connection = await SshConnection.connect(hostFrom('bpfdev-test'), { askHostKey: neverAsked });
  const canary = `${sshd.dir}/injected`;
  const hostile = [
    `a b`, `'`, `"`, `\\`, `$(touch ${canary})`, `\`touch ${canary}\``, `;touch ${canary}`, `|touch ${canary}`,
    `&& touch ${canary}`, `\ntouch ${canary}\n`, `*`, `~`, `$HOME`, `!!`, `-n`, `--`, `'$(touch ${canary})'`, ` `, `\t`,
  ];
  // Random mixes of the dangerous characters, seeded so a failure is reproducible.
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alphabet = ['\'', '"', '`', '$', '(', ')', ';', '|', '&', '\n', ' ', '\\', '*', '?', '>', '<', '#', '~', '{', '}', 'a', 'é', '\u2028'];
  for (let i = 0; i < 200; i++) {
    hostile.push(Array.from({ length: 1 + Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
  }
  try {
    // Many arguments per command (one round trip each), NUL-separated on the way back.
    for (let start = 0; start < hostile.length; start += 40) {
      const batch = hostile.slice(start, start + 40);
      const result = await connection.exec(['printf', '%s\\0', ...batch]);
      assert.deepEqual(result.stdout.toString('utf8').split('\0').slice(0, -1), batch);
    }
    assert.equal(fs.existsSync(canary), false, 'an argument injected a command');
  } finally {
    await connection.dispose();
  }
});

test('privilege: root runs directly, a sudoer through sudo -n, others get an error that says what to configure', { skip }, async () => {
  const root = new RemoteTarget(await SshConnection.connect(hostFrom('bpfdev-test'), { askHostKey: neverAsked }));
  const sudoer = new RemoteTarget(await SshConnection.connect(hostFrom('bpfdev-test-sudo'), { askHostKey: neverAsked }));
  const plain = new RemoteTarget(await SshConnection.connect(hostFrom('bpfdev-test-nosudo'), { askHostKey: neverAsked }));
  try {
    assert.equal(await root.privilegeMode(), 'root');
    assert.equal(await sudoer.privilegeMode(), 'sudo');
    assert.equal((await sudoer.exec(['id', '-u'], { privileged: true })).stdout.toString().trim(), '0');
    await assert.rejects(plain.privilegeMode(), (error: TargetError) => {
      assert.equal(error.code, 'NO_PRIVILEGE');
      assert.match(error.hint ?? '', /NOPASSWD/);
      return true;
    });
  } finally {
    await Promise.all([root.dispose(), sudoer.dispose(), plain.dispose()]);
  }
});

test('ProxyJump: the connection goes through the jump host (here the same sshd, reached via forwarding)', { skip }, async () => {
  const config = `${sshd.dir}/jump_ssh_config`;
  fs.writeFileSync(config, `${fs.readFileSync(sshd.configPath, 'utf8')}
Host bpfdev-behind-jump
  HostName 127.0.0.1
  Port ${sshd.port}
  User root
  IdentityFile ${sshd.dir}/client_key
  IdentitiesOnly yes
  UserKnownHostsFile ${sshd.knownHostsPath}
  ProxyJump bpfdev-test
`);
  const previous = process.env.BPFDEV_SSH_CONFIG;
  process.env.BPFDEV_SSH_CONFIG = config;
  try {
    const host = resolveHost('bpfdev-behind-jump', fs.readFileSync(config, 'utf8'));
    assert.equal(host.proxyJump, 'bpfdev-test');
    const logins = () => (fs.readFileSync(`${sshd.dir}/sshd.log`, 'utf8').match(/Accepted publickey for root/g) ?? []).length;
    const before = logins();
    const connection = await SshConnection.connect(host, { askHostKey: neverAsked });
    const result = await connection.exec(['echo', 'behind the jump']);
    assert.equal(result.stdout.toString(), 'behind the jump\n');
    // Two logins for one connect: the jump host's, then the target's through the forwarded channel.
    assert.equal(logins() - before, 2);
    await connection.dispose();
  } finally {
    if (previous === undefined) delete process.env.BPFDEV_SSH_CONFIG;
    else process.env.BPFDEV_SSH_CONFIG = previous;
  }
});
