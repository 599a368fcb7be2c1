/** The loader's heartbeat: silence on stdin (a dead network that closed nothing) detaches too. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { compileForTarget } from '../../host/src/compile';
import { LocalTarget } from '../../host/src/local-target';
import { RunSession } from '../../host/src/loader';
import { kernelSkipReason, loadedProgramNames, repoRoot } from '../support/kernel';

const skip = kernelSkipReason();

test('with --heartbeat, a silent stdin detaches; our newlines keep the run alive', { skip, timeout: 60_000 }, async () => {
  const target = new LocalTarget();
  const { objectPath } = await compileForTarget(path.join(repoRoot, 'examples', 'count-execs.bpf.c'), target);

  // Kept alive by RunSession's newlines: still attached after more than two intervals.
  const alive = await RunSession.start(target, objectPath, { trace: false, heartbeatSeconds: 1 });
  await alive.ready;
  const stillRunning = await Promise.race([alive.exited.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 2500))]);
  assert.ok(stillRunning, 'the loader detached although we kept sending heartbeats');
  await alive.stop();

  // Silence: a process whose stdin stays open but quiet, as behind a dead network.
  const loader = await target.loaderPath();
  const child = target.spawn([loader, 'run', objectPath, '--heartbeat', '1'], { privileged: true });
  const silent = new RunSession(child);
  await silent.ready;
  assert.ok(loadedProgramNames().includes('count_exec'));
  const detached = new Promise<Record<string, unknown>>((resolve) => silent.on('event', (event) => { if (event.event === 'detached') resolve(event as Record<string, unknown>); }));
  const event = await detached;
  assert.equal(event.cause, 'heartbeat-lost');
  await silent.exited;
  assert.ok(!loadedProgramNames().includes('count_exec'));
});
