/** Host lists and the cross-target comparison of issue #10: pure functions, no hosts needed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inventoryGroupHosts, parseHostsFile } from '../../core/src/fleet/inventory';
import { compareWithBaseline, formatMatrix, parseBaseline, TargetReport } from '../../core/src/fleet/matrix';

test('hosts file: one per line, comments and blanks skipped', () => {
  assert.deepEqual(parseHostsFile('a\n  # lab boxes\nroot@b:2222  # old kernel\n\n'), ['a', 'root@b:2222']);
});

test('inventory: a group takes its children\'s hosts once, with their connection variables', () => {
  // The shape `ansible-inventory --list` prints.
  const json = JSON.stringify({
    _meta: { hostvars: { box1: { ansible_host: '10.0.0.1', ansible_port: 2222, ansible_user: 'ci' }, me: { ansible_connection: 'local' } } },
    all: { children: ['ungrouped', 'lab'] },
    lab: { hosts: ['box1'], children: ['old', 'again'] },
    old: { hosts: ['box2', 'box1'] },
    again: { hosts: ['me'], children: ['lab'] },
  });
  const { hosts, errors } = inventoryGroupHosts(json, 'lab');
  assert.deepEqual(errors, []);
  assert.deepEqual(hosts, [{ name: 'box1', hostName: '10.0.0.1', port: 2222, user: 'ci' }, { name: 'box2' }, { name: 'me', local: true }]);
  assert.match(inventoryGroupHosts(json, 'nope').errors[0], /no group "nope".*groups: all, lab, old, again/);
  assert.match(inventoryGroupHosts('{oops', 'lab').errors[0], /not JSON/);
});

const report = (host: string, verdict: string, insns: number | null, file = '/p/a.bpf.c'): TargetReport => ({
  file, host, kernel: `k-${host}`, compiled: true, diagnostics: [],
  programs: [{ name: 'f', section: 'xdp', verdict: verdict as 'ok', insnsProcessed: insns, stackDepth: 8 }],
});

test('baseline: ok → rejected and growth past the limit regress, per target; a host-less baseline stands for all', () => {
  const baseline = [report('a', 'ok', 100), report('b', 'ok', 100)];
  const changes = compareWithBaseline([report('a', 'rejected', 20), report('b', 'ok', 111), report('c', 'ok', 105)], baseline, { maxGrowthPercent: 10 });
  assert.deepEqual(changes.map((change) => [change.host, change.regression]), [['a', 'ok → rejected'], ['b', 'insns processed grew 11.0% (limit 10%)'], ['c', undefined]]);
  const single = parseBaseline(JSON.stringify({ file: '/p/a.bpf.c', compiled: true, diagnostics: [], programs: [{ name: 'f', section: 'xdp', verdict: 'ok', insnsProcessed: 100, stackDepth: 8 }] }));
  const againstSingle = compareWithBaseline([report('a', 'ok', 109), report('b', 'unsupported', null)], single.reports, { maxGrowthPercent: 10 });
  assert.deepEqual(againstSingle.map((change) => change.regression), [undefined, 'ok → unsupported']);
  assert.match(parseBaseline('[]').errors[0], /no verify results/);
});

test('matrix: a row per program, a column per target, - where a target has no result', () => {
  const text = formatMatrix([report('a', 'ok', 100), report('b', 'rejected', 7, '/p/b.bpf.c')], [{ host: 'a', kernel: 'k-a' }, { host: 'b', kernel: 'k-b' }]);
  const [header, first, second] = text.split('\n');
  assert.match(header, /^program\s+a \(k-a\)\s+b \(k-b\)$/);
  assert.match(first, /^\/p\/a\.bpf\.c:f\s+ok, 100 insns, stack 8\s+-$/);
  assert.match(second, /^\/p\/b\.bpf\.c:f\s+-\s+rejected, 7 insns, stack 8$/);
});
