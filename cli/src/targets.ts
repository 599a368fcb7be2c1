/**
 * The CLI's way to a target: the local kernel by default, or `--host ALIAS` over SSH. An
 * unknown host key is asked on a terminal; without one it is refused unless the user passed
 * its exact fingerprint with --trust-host-key (never accepted silently).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as readline from 'node:readline';
import { promisify } from 'node:util';
import { FleetHost, inventoryGroupHosts, parseHostsFile } from '../../core/src/fleet/inventory';
import { LocalTarget } from '../../host/src/local-target';
import { RemoteTarget } from '../../host/src/remote-target';
import { SshCallbacks, SshConnection } from '../../host/src/ssh/connection';
import { resolveHost } from '../../host/src/ssh/hosts';
import type { Target } from '../../host/src/target';

export interface TargetOptions {
  host?: string | FleetHost;
  trustHostKey?: string;
}

/** Where `--host` (repeatable), `--hosts-file` and `--inventory FILE --group NAME` point. */
export interface FleetOptions {
  hosts?: string[];
  hostsFile?: string;
  inventory?: string;
  group?: string;
}

/** Every target the options name, in order, each once; none named means the local kernel. */
export async function collectHosts(options: FleetOptions): Promise<FleetHost[]> {
  const hosts: FleetHost[] = (options.hosts ?? []).map((name) => ({ name, ...(name === 'local' ? { local: true } : {}) }));
  if (options.hostsFile) hosts.push(...parseHostsFile(await fs.readFile(options.hostsFile, 'utf8')).map((name) => ({ name })));
  if (options.inventory || options.group) {
    if (!options.inventory || !options.group) throw new Error('--inventory and --group go together');
    // ansible-inventory, not our own parser: INI, YAML and inventory plugins all come out as the same JSON.
    const listed = await promisify(execFile)('ansible-inventory', ['-i', options.inventory, '--list'], { maxBuffer: 64 << 20 }).catch((error: NodeJS.ErrnoException & { stderr?: string }) => {
      throw Object.assign(new Error(error.code === 'ENOENT' ? 'ansible-inventory is not installed' : `ansible-inventory failed: ${(error.stderr ?? error.message).trim()}`),
        { hint: error.code === 'ENOENT' ? 'apt-get install ansible-core (or pip install ansible-core)' : undefined });
    });
    const { hosts: found, errors } = inventoryGroupHosts(listed.stdout, options.group);
    if (errors.length) throw new Error(`${options.inventory}: ${errors.join('; ')}`);
    hosts.push(...found);
  }
  const seen = new Set<string>();
  const unique = hosts.filter((host) => !seen.has(host.name) && seen.add(host.name));
  return unique.length ? unique : [{ name: 'local', local: true }];
}

export async function openTarget(options: TargetOptions): Promise<Target> {
  const host = typeof options.host === 'string' ? { name: options.host } : options.host;
  // sudo's own prompt on this terminal when it wants a password (once per command); without a
  // terminal the first privileged step fails with what to set up instead.
  if (!host || host.local || host.name === 'local') return new LocalTarget({ terminal: true });
  // The inventory's name is also the ssh_config alias its keys and options come from; its variables win.
  const resolved = { ...resolveHost(host.name), ...(host.hostName ? { hostName: host.hostName } : {}), ...(host.port ? { port: host.port } : {}), ...(host.user ? { user: host.user } : {}) };
  return new RemoteTarget(await SshConnection.connect(resolved, callbacks(options)));
}

function callbacks(options: TargetOptions): SshCallbacks {
  return {
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
  };
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
