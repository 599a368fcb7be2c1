/**
 * The root side of a privileged session (see privileged-session.ts): started once through
 * `sudo -S`, it runs the commands its parent asks for and relays their streams. Its stdin is the
 * only way to reach it, so it serves exactly the process that typed the password; when that
 * process dies, stdin ends, every child's stdin is closed (the loader then detaches) and the
 * broker exits once they have.
 *
 * Wire format, one JSON object per line both ways (see BrokerRequest / BrokerReply).
 */
import { spawn, ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import type { BrokerReply, BrokerRequest } from './privileged-session';

const children = new Map<number, ChildProcess>();
let parentGone = false;

function send(reply: BrokerReply): boolean {
  return process.stdout.write(JSON.stringify(reply) + '\n');
}

function start(id: number, argv: string[]): void {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  children.set(id, child);
  child.stdin.on('error', () => undefined);
  const relay = (stream: NodeJS.ReadableStream, kind: 'out' | 'err') => {
    stream.on('data', (chunk: Buffer) => {
      // A parent that stops reading makes our stdout buffer grow: stop reading the child instead,
      // so back-pressure reaches the loader as it would without us in between.
      if (!send({ t: kind, id, b64: chunk.toString('base64') })) {
        stream.pause();
        process.stdout.once('drain', () => stream.resume());
      }
    });
  };
  relay(child.stdout, 'out');
  relay(child.stderr, 'err');
  child.on('error', (error) => send({ t: 'error', id, message: error.message }));
  child.on('close', (code, signal) => {
    children.delete(id);
    send({ t: 'exit', id, code, signal });
    if (parentGone && children.size === 0) process.exit(0);
  });
}

function handle(request: BrokerRequest): void {
  const child = children.get(request.id);
  switch (request.t) {
    case 'spawn':
      if (!Array.isArray(request.argv) || request.argv.length === 0 || request.argv.some((arg) => typeof arg !== 'string')) {
        send({ t: 'error', id: request.id, message: 'spawn wants a non-empty argv of strings' });
        send({ t: 'exit', id: request.id, code: 127, signal: null });
      } else start(request.id, request.argv);
      break;
    case 'in': child?.stdin?.write(Buffer.from(request.b64, 'base64')); break;
    case 'end': child?.stdin?.end(); break;
    case 'kill': child?.kill(request.signal); break;
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (!line) return;
  try {
    handle(JSON.parse(line) as BrokerRequest);
  } catch {
    // A malformed line is the parent's bug; skipping it keeps the other sessions running.
  }
});
lines.on('close', () => {
  parentGone = true;
  for (const child of children.values()) child.stdin?.end();
  if (children.size === 0) process.exit(0);
});
process.stdout.on('error', () => {
  parentGone = true;
  for (const child of children.values()) child.stdin?.end();
});
send({ t: 'ready', uid: process.getuid?.() ?? -1 });
