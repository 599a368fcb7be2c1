/**
 * Tracepoint completion for a real non-root user, whom tracefs (mode 700) shuts out (issue #9):
 * first from BTF and kallsyms, marked partial (no "does not exist" errors), then from the
 * machine-wide cache a root fetch of the same kernel build wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompletionList } from 'vscode-languageserver-protocol';
import { asTestUser, ensureTestUser, readableCheckout, testUserSkipReason, TestUser } from '../support/test-user';
import { Session } from '../support/lsp-session';

const skip = testUserSkipReason();
const labels = (list: CompletionList) => list.items.map((item) => item.label);

/** A directory both root and the test user can use (mkdtemp makes 0700 ones). */
function sharedTempDir(prefix: string, owner?: TestUser): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

function startAsUser(user: TestUser, checkout: string, cacheDir: string, systemCacheDir: string): Promise<Session> {
  const command = asTestUser(user, [process.execPath, path.join(checkout, 'dist', 'server.js'), '--stdio'], {
    BPFDEV_CACHE_DIR: cacheDir, BPFDEV_SYSTEM_CACHE_DIR: systemCacheDir,
  });
  return Session.start(cacheDir, undefined, { ...command, watchParent: false });
}

void test('tracepoint completion as a non-root user, over stdio', { skip, timeout: 180_000 }, async (t) => {
  const user = ensureTestUser();
  const checkout = readableCheckout(user);
  const userCache = sharedTempDir('bpfdev-unpriv-cache-', user);
  const systemCache = sharedTempDir('bpfdev-unpriv-system-');
  t.after(() => {
    for (const dir of [userCache, systemCache]) fs.rmSync(dir, { recursive: true, force: true });
  });
  const uri = 'file:///tmp/lsp-unpriv.bpf.c';

  await t.test('the user really cannot read tracefs', () => {
    const probe = asTestUser(user, ['sh', '-c', 'ls /sys/kernel/tracing/events/sched >/dev/null 2>&1 && echo readable || echo denied']);
    const result = spawnSync(probe.argv[0], probe.argv.slice(1), { env: probe.env, encoding: 'utf8' });
    assert.equal(result.stdout.trim(), 'denied');
  });

  await t.test('from BTF: sched/ → sched_switch, ctx-> fields with offsets, no error for an unknown name', async () => {
    const session = await startAsUser(user, checkout, userCache, systemCache);
    t.after(() => session.close());
    // The misspelled name's diagnostic arrives once the catalog is loaded: information, never an error.
    await session.open(uri, 'SEC("tracepoint/sched/sched_swich")\nint on_switch(void *ctx)\n{\n\treturn 0;\n}\n');
    const diagnostics = await session.waitForDiagnostics(uri, (list) => list.some((d) => d.code === 'unknown-tracepoint'), 90_000);
    const unknown = diagnostics.find((d) => d.code === 'unknown-tracepoint')!;
    assert.equal(unknown.severity, 3, JSON.stringify(unknown));
    assert.match(unknown.message, /may still exist/);

    const events = await session.complete(uri, 'SEC("tracepoint/sched/|")\nint on_switch(void *ctx) { return 0; }\n');
    assert.ok(labels(events).includes('sched_switch'), labels(events).slice(0, 40).join(' '));
    const item = events.items.find((candidate) => candidate.label === 'sched_switch')!;
    const resolved = await session.resolve(item);
    assert.match(resolved.detail ?? '', /BTF struct trace_event_raw_sched_switch/);

    const fields = await session.complete(uri, 'SEC("tracepoint/sched/sched_switch")\nint on_switch(void *ctx)\n{\n\treturn ctx->|;\n}\n');
    assert.ok(labels(fields).includes('next_pid'), labels(fields).join(' '));
    assert.match(fields.items.find((field) => field.label === 'prev_comm')?.detail ?? '', /char prev_comm\[16\] · offset \d+, size 16/);

    const stats = await session.stats();
    assert.equal(stats.catalog?.source, 'live');
    assert.ok((stats.catalog?.tracepoints ?? 0) > 1000, String(stats.catalog?.tracepoints));
  });

  await t.test('from the machine-wide cache of a root fetch: the exact tracefs layout', async () => {
    // Root fills the shared cache, as any privileged use on this machine would.
    const rootCache = sharedTempDir('bpfdev-unpriv-root-');
    t.after(() => fs.rmSync(rootCache, { recursive: true, force: true }));
    const root = await Session.start(rootCache, undefined, {
      argv: [process.execPath, path.join(checkout, 'dist', 'server.js'), '--stdio'],
      env: { ...process.env, BPFDEV_CACHE_DIR: rootCache, BPFDEV_SYSTEM_CACHE_DIR: systemCache },
    });
    const rootStats = await waitForCatalog(root);
    await root.close();
    assert.equal(rootStats.catalog?.source, 'live');

    const session = await startAsUser(user, checkout, userCache, systemCache);
    t.after(() => session.close());
    const stats = await waitForCatalog(session);
    assert.equal(stats.catalog?.source, 'cache');
    await session.open(uri, '');
    const events = await session.complete(uri, 'SEC("tracepoint/sched/|")\nint on_switch(void *ctx) { return 0; }\n');
    const item = events.items.find((candidate) => candidate.label === 'sched_switch');
    assert.ok(item, labels(events).slice(0, 40).join(' '));
    const resolved = await session.resolve(item);
    assert.match(resolved.detail ?? '', /^ID \d+ · \d+ fields$/);
  });
});

/** The catalog loads in the background; a hover waits for it, so a stats request after one sees it. */
async function waitForCatalog(session: Session) {
  await session.open('file:///tmp/lsp-unpriv-wait.bpf.c', 'SEC("tracepoint/sched/sched_switch")\nint f(void *ctx) { return 0; }\n');
  await session.hover('file:///tmp/lsp-unpriv-wait.bpf.c', 'SEC("tracepoint/sched/sched_sw|itch")\nint f(void *ctx) { return 0; }\n');
  return session.stats();
}
