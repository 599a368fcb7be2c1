/**
 * The SSH hosts run.ts starts for the VS Code tests (outside VS Code, where test/support can
 * start an sshd and QEMU) and hands to the extension host in one environment variable. The
 * extension finds their aliases through BPFDEV_SSH_CONFIG, an ssh_config run.ts writes with
 * every host's `Host` block, each naming its own key and known_hosts file.
 */
export const TEST_HOSTS_ENV = 'BPFDEV_VSCODE_TEST_HOSTS';

export interface TestHosts {
  /** An sshd on 127.0.0.1 logging in as root: the remote code path against this machine's kernel. */
  loopback?: {
    alias: string;
    /** sshd's log (LogLevel VERBOSE: one `Accepted publickey for root` line per login). */
    logFile: string;
    /** PID of the listening sshd: its children are the sessions of logged-in clients. */
    listenerPidFile: string;
  };
  loopbackError?: string;
  /** A Debian guest in QEMU with another kernel than this machine's. */
  vm?: { alias: string; suite: string; kernelRelease: string };
  /** Why there is no VM and that is acceptable (outside CI: no QEMU or no cached image). */
  vmSkipReason?: string;
  /** Why the VM that should be there did not start: a failure, not a skip. */
  vmError?: string;
}

export function readTestHosts(): TestHosts | undefined {
  const text = process.env[TEST_HOSTS_ENV];
  return text ? JSON.parse(text) as TestHosts : undefined;
}
