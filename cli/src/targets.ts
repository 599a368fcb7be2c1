/**
 * The CLI's way to a target: the local kernel by default, or `--host ALIAS` over SSH. An
 * unknown host key is asked on a terminal; without one it is refused unless the user passed
 * its exact fingerprint with --trust-host-key (never accepted silently).
 */
import * as readline from 'node:readline';
import { LocalTarget } from '../../host/src/local-target';
import { RemoteTarget } from '../../host/src/remote-target';
import type { Target } from '../../host/src/target';

export interface TargetOptions {
  host?: string;
  trustHostKey?: string;
}

export async function openTarget(options: TargetOptions): Promise<Target> {
  // sudo's own prompt on this terminal when it wants a password (once per command); without a
  // terminal the first privileged step fails with what to set up instead.
  if (!options.host || options.host === 'local') return new LocalTarget({ terminal: true });
  return RemoteTarget.connect(options.host, {
    askHostKey: async (question) => {
      if (options.trustHostKey) return options.trustHostKey === question.fingerprint;
      const where = `${question.host}:${question.port}`;
      if (!process.stdin.isTTY) {
        process.stderr.write(`bpfdev: the host key of ${where} is unknown (${question.keyType} ${question.fingerprint}).\n` +
          `        Verify it, then pass --trust-host-key ${question.fingerprint} or connect once with ssh.\n`);
        return false;
      }
      const answer = await prompt(`The host key of ${where} is unknown.\n${question.keyType} key fingerprint is ${question.fingerprint}.\nTrust it and add it to known_hosts? [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    },
    askSecret: async (request) => (process.stdin.isTTY ? promptHidden(`${request.prompt}: `) : undefined),
    log: (message) => process.stderr.write(`bpfdev: ${message}\n`),
  });
}

function prompt(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => rl.question(question, (answer) => { rl.close(); resolve(answer); }));
}

/** Reads a line without echoing it: passphrases never appear on screen or in scrollback. */
function promptHidden(question: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let secret = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(secret);
        if (char === '\u0003' || char === '\u0004') return finish(undefined);
        if (char === '\u007f') secret = secret.slice(0, -1);
        else secret += char;
      }
    };
    const finish = (value: string | undefined) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      resolve(value);
    };
    stdin.on('data', onData);
  });
}
