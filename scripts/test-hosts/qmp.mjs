#!/usr/bin/env node
// Talks to a test VM's QEMU through its QMP socket (JSON, unlike the human monitor, so nothing
// is scraped from terminal output). Node is what every checkout of this project has anyway.
//   qmp.mjs SOCKET wait-running TIMEOUT_S     exit 0 once the VM runs (e.g. after -incoming)
//   qmp.mjs SOCKET save COMMAND TIMEOUT_S     migrate the whole VM state into `exec:COMMAND`,
//                                             exit 0 when QEMU reports it completed
//   qmp.mjs SOCKET quit                       ask QEMU to exit
import * as net from 'node:net';

const [socketPath, action, ...rest] = process.argv.slice(2);
if (!socketPath || !action) {
  console.error('usage: qmp.mjs SOCKET wait-running TIMEOUT_S | save COMMAND TIMEOUT_S | quit');
  process.exit(2);
}

/** One QMP session: a greeting, capabilities negotiation, then request/response by id. */
function session(path) {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    let buffered = '';
    let nextId = 1;
    const waiting = new Map();
    const eventListeners = new Set();
    let greeted;
    const greeting = new Promise((done) => { greeted = done; });
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line);
        if (message.QMP) greeted();
        else if (message.event) for (const listener of eventListeners) listener(message);
        else if (message.id !== undefined && waiting.has(message.id)) {
          const { done, fail } = waiting.get(message.id);
          waiting.delete(message.id);
          if (message.error) fail(new Error(`${message.error.class}: ${message.error.desc}`));
          else done(message.return);
        }
      }
    });
    const execute = (command, args) => new Promise((done, fail) => {
      const id = nextId++;
      waiting.set(id, { done, fail });
      socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
    socket.on('connect', async () => {
      await greeting;
      await execute('qmp_capabilities');
      resolve({ execute, onEvent: (listener) => eventListeners.add(listener), close: () => socket.end() });
    });
  });
}

async function connectWithin(deadline) {
  for (;;) {
    try {
      return await session(socketPath);
    } catch (error) {
      // QEMU creates the socket a moment after it starts.
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const fail = (message) => { console.error(`qmp: ${message}`); process.exit(1); };

try {
  if (action === 'wait-running') {
    const deadline = Date.now() + Number(rest[0] ?? 60) * 1000;
    const qmp = await connectWithin(deadline);
    for (;;) {
      const { status } = await qmp.execute('query-status');
      if (status === 'running') break;
      if (['internal-error', 'guest-panicked', 'shutdown'].includes(status)) fail(`VM is ${status}`);
      if (Date.now() > deadline) fail(`VM still "${status}" after ${rest[0]} s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    qmp.close();
  } else if (action === 'save') {
    const [command, timeout] = rest;
    const deadline = Date.now() + Number(timeout ?? 300) * 1000;
    const qmp = await connectWithin(deadline);
    await qmp.execute('migrate', { uri: `exec:${command}` });
    for (;;) {
      const info = await qmp.execute('query-migrate');
      if (info.status === 'completed') break;
      if (info.status === 'failed' || info.status === 'cancelled') fail(`saving the VM state ${info.status}: ${info['error-desc'] ?? ''}`);
      if (Date.now() > deadline) fail(`saving the VM state did not finish in ${timeout} s (${info.status})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    qmp.close();
  } else if (action === 'quit') {
    const qmp = await connectWithin(Date.now() + 5000);
    await qmp.execute('quit').catch(() => undefined);
    qmp.close();
  } else {
    fail(`unknown action ${action}`);
  }
} catch (error) {
  fail(error.message);
}
