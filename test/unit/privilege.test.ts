import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  capLoaderPath, parseGetcapLine, parsePrivilegeProbe, PRIVILEGE_PROBE_SCRIPT, REQUIRED_LOADER_CAPS, SETUP_LOADER_CAPS,
} from '../../core/src/privilege/state';
import { parseSetupManifest, SETUP_MANIFEST, setupPlan, undoPlan } from '../../core/src/privilege/setup-plan';

const SHA = 'a'.repeat(64);
const loader = capLoaderPath('x86_64');

/** The probe's lines for a non-root user; `extra` overrides or adds keys. */
function probe(extra: Record<string, string>): string {
  const values: Record<string, string> = { uid: '1001', user: 'dev', groups: 'dev sudo', sudo: 'fail', sudoerr: 'sudo: a password is required', tracefs: 'closed', ...extra };
  return Object.entries(values).map(([key, value]) => `${key}=${value}`).join('\n') + '\n';
}

test('getcap lines: the current and the pre-2.30 form, only effective+permitted sets count', () => {
  assert.deepEqual(parseGetcapLine(`${loader} cap_dac_read_search,cap_perfmon,cap_bpf=ep`), ['cap_bpf', 'cap_dac_read_search', 'cap_perfmon']);
  assert.deepEqual(parseGetcapLine(`${loader} = cap_bpf,cap_perfmon+ep`), ['cap_bpf', 'cap_perfmon']);
  assert.deepEqual(parseGetcapLine(`${loader} cap_bpf=p`), [], 'permitted but not effective does nothing for the loader');
  assert.deepEqual(parseGetcapLine(`${loader} cap_bpf,cap_perfmon=ep cap_perfmon-e`), ['cap_bpf']);
  assert.deepEqual(parseGetcapLine(''), []);
});

test('the probe script runs under sh and its output parses to this process\'s uid', () => {
  const output = execFileSync('sh', ['-c', PRIVILEGE_PROBE_SCRIPT, 'privilege', '/nonexistent/bpfdev-loader'], { encoding: 'utf8' });
  const { state, errors } = parsePrivilegeProbe(output);
  assert.deepEqual(errors, []);
  assert.equal(state.uid, process.getuid?.());
  assert.equal(state.capLoader, undefined);
  if (state.uid === 0) assert.equal(state.kind, 'root');
});

test('kinds: root, passwordless sudo, password sudo, refused sudo', () => {
  assert.equal(parsePrivilegeProbe('uid=0\nuser=root\ngroups=root\n').state.kind, 'root');
  assert.equal(parsePrivilegeProbe(probe({ sudo: 'nopasswd', sudoerr: '' })).state.kind, 'sudo');
  const password = parsePrivilegeProbe(probe({})).state;
  assert.equal(password.kind, 'sudo-password');
  assert.ok(password.advice.some((line) => line.includes('bpfdev setup')), password.advice.join('\n'));
  assert.ok(password.advice.some((line) => line.includes('NOPASSWD')));
  const none = parsePrivilegeProbe(probe({ sudoerr: 'dev is not in the sudoers file.' })).state;
  assert.equal(none.kind, 'none');
  assert.match(none.advice[0], /cannot be loaded/);
  // sudo wants a password before it reads its rules, so outside an admin group that means little.
  assert.equal(parsePrivilegeProbe(probe({ groups: 'dev' })).state.kind, 'none');
});

test('the capability loader counts only when executable, complete and the same build as ours', () => {
  const caps = `${loader} ${REQUIRED_LOADER_CAPS.join(',')}=ep`;
  const usable = probe({ caploader: loader, capexec: '1', capsha: SHA, getcap: caps });
  assert.equal(parsePrivilegeProbe(usable, SHA).state.kind, 'capabilities');
  const stale = parsePrivilegeProbe(usable, 'b'.repeat(64)).state;
  assert.equal(stale.kind, 'sudo-password');
  assert.ok(stale.advice.some((line) => /older loader/.test(line)), stale.advice.join('\n'));
  const notMember = parsePrivilegeProbe(probe({ caploader: loader, capexec: '0', getcap: caps }), SHA).state;
  assert.equal(notMember.kind, 'sudo-password');
  assert.ok(notMember.advice.some((line) => /usermod -aG bpfdev dev/.test(line)), notMember.advice.join('\n'));
  const partial = parsePrivilegeProbe(probe({ caploader: loader, capexec: '1', capsha: SHA, getcap: `${loader} cap_bpf=ep` }), SHA).state;
  assert.deepEqual(partial.capLoader?.missing, ['cap_perfmon', 'cap_dac_read_search']);
  assert.notEqual(partial.kind, 'capabilities');
  // Passwordless sudo is still preferred: it reads tracefs and kallsyms too.
  assert.equal(parsePrivilegeProbe(probe({ sudo: 'nopasswd', caploader: loader, capexec: '1', capsha: SHA, getcap: caps }), SHA).state.kind, 'sudo');
});

test('setup plan: a root-owned 0750 copy with the capabilities, group and user only when missing, a manifest for undo', () => {
  const plan = setupPlan({ arch: 'x86_64', builtLoader: '/src/loader/out/bpfdev-loader-x86_64', user: 'dev', groupExists: false, userInGroup: false });
  const commands = plan.steps.map((step) => step.argv);
  assert.deepEqual(commands[0], ['groupadd', '--system', 'bpfdev']);
  assert.deepEqual(commands[1], ['usermod', '-aG', 'bpfdev', 'dev']);
  const install = commands.find((argv) => argv[0] === 'install' && argv.includes('750'));
  assert.ok(install?.includes('root') && install.includes('bpfdev'), JSON.stringify(install));
  const setcap = commands.find((argv) => argv[0] === 'setcap');
  assert.equal(setcap?.[1], `${SETUP_LOADER_CAPS.join(',')}+ep`);
  assert.ok(!setcap?.[1].includes('cap_sys_admin'));
  // The final name only ever holds a copy that has its capabilities.
  assert.ok(commands.findIndex((argv) => argv[0] === 'mv') > commands.indexOf(setcap!));
  const manifest = parseSetupManifest(commands.at(-1)!.at(-2)!);
  assert.deepEqual(manifest, { version: 1, createdGroup: true, addedUsers: ['dev'], loaders: [loader] });
  assert.equal(commands.at(-1)!.at(-1), SETUP_MANIFEST);
  assert.ok(plan.notes.some((note) => note.includes('--undo')));

  const again = setupPlan({ arch: 'x86_64', builtLoader: '/b', user: 'dev', groupExists: true, userInGroup: true, manifest: manifest! });
  assert.ok(!again.steps.some((step) => step.argv[0] === 'groupadd' || step.argv[0] === 'usermod'));
  assert.deepEqual(parseSetupManifest(again.steps.at(-1)!.argv.at(-2)!), manifest, 'a second setup keeps what the first created');
});

test('undo reverts only what the manifest records', () => {
  const recorded = undoPlan('x86_64', { version: 1, createdGroup: true, addedUsers: ['dev'], loaders: [loader] });
  const text = recorded.steps.map((step) => step.argv.join(' ')).join('\n');
  assert.match(text, new RegExp(`rm -f -- ${loader} `));
  assert.match(text, /gpasswd -d .* gpasswd dev bpfdev/);
  assert.match(text, /groupdel/);
  const bare = undoPlan('x86_64', undefined).steps.map((step) => step.argv.join(' ')).join('\n');
  assert.doesNotMatch(bare, /groupdel|gpasswd/);
  assert.equal(parseSetupManifest('{"version":1,"loaders":["/etc/passwd"]}')?.loaders.length, 0, 'undo never removes files outside its directory');
  assert.equal(parseSetupManifest('not json'), undefined);
});
