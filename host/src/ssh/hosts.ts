/**
 * Target hosts from `~/.ssh/config` (parsed by the `ssh-config` package) plus hosts from
 * settings. Resolves an alias to what ssh2 needs: address, port, user, identity files, jump host.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type SSHConfigModule from 'ssh-config' with { 'resolution-mode': 'import' };

// ssh-config ships CommonJS for require() but declares its types for ESM only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SSHConfig = (require('ssh-config') as { default: typeof SSHConfigModule }).default;

export interface ResolvedHost {
  /** The alias the user picked (`Host` in ssh_config), or `user@host:port` as typed. */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** Only the files named in the config (IdentitiesOnly): do not fall back to default keys. */
  identitiesOnly: boolean;
  knownHostsFiles: string[];
  proxyJump?: string;
  connectTimeoutMs: number;
}

export function defaultSshConfigPath(): string {
  return path.join(os.homedir(), '.ssh', 'config');
}

/** Concrete `Host` aliases (no wildcards) in an ssh_config, for the host picker. */
export function listConfiguredHosts(configText: string): string[] {
  const config = SSHConfig.parse(configText);
  const aliases: string[] = [];
  for (const line of config) {
    if (!('param' in line) || line.param.toLowerCase() !== 'host') continue;
    const values = typeof line.value === 'string' ? line.value.split(/\s+/) : line.value.map((v) => v.val);
    for (const value of values) if (value && !/[*?!]/.test(value)) aliases.push(value);
  }
  return [...new Set(aliases)];
}

function expandHome(file: string): string {
  return file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : file;
}

/** `alias`, `host`, `user@host` or `user@host:port`, resolved through the ssh_config text if given. */
export function resolveHost(spec: string, configText = readConfigIfAny()): ResolvedHost {
  const typed = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
  if (!typed) throw new Error(`"${spec}" is not a host: use an ssh_config alias, host, user@host or user@host:port`);
  const [, typedUser, typedHost, typedPort] = typed;
  const computed = SSHConfig.parse(configText).compute(typedHost.replace(/^\[|\]$/g, '')) as Record<string, string | string[]>;
  const single = (key: string): string | undefined => {
    const value = computed[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const list = (key: string): string[] => {
    const value = computed[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };
  const defaultKeys = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => path.join(os.homedir(), '.ssh', name));
  const identitiesOnly = single('IdentitiesOnly')?.toLowerCase() === 'yes';
  const configured = list('IdentityFile').map(expandHome);
  const knownHosts = list('UserKnownHostsFile').flatMap((value) => value.split(/\s+/)).map(expandHome);
  return {
    alias: spec,
    hostName: single('HostName') ?? typedHost.replace(/^\[|\]$/g, ''),
    port: Number(typedPort ?? single('Port') ?? 22),
    user: typedUser ?? single('User') ?? os.userInfo().username,
    identityFiles: identitiesOnly ? configured : [...configured, ...defaultKeys.filter((key) => !configured.includes(key))],
    identitiesOnly,
    knownHostsFiles: knownHosts.length ? knownHosts : [path.join(os.homedir(), '.ssh', 'known_hosts')],
    ...(single('ProxyJump') && single('ProxyJump') !== 'none' ? { proxyJump: single('ProxyJump') } : {}),
    connectTimeoutMs: Number(single('ConnectTimeout') ?? 10) * 1000,
  };
}

function readConfigIfAny(): string {
  const file = process.env.BPFDEV_SSH_CONFIG ?? defaultSshConfigPath();
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
