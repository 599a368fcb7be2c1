/**
 * The selected target host and its connection. Local is always available and the default; a
 * remote host is reached through the SSH facade, asking the user about unknown host keys (with
 * the SHA256 fingerprint) and for passphrases/passwords, which live only in SecretStorage.
 */
import * as vscode from 'vscode';
import { LocalTarget } from '../../../host/src/local-target';
import { RemoteTarget } from '../../../host/src/remote-target';
import type { Target } from '../../../host/src/target';
import type { HostKeyQuestion } from '../../../host/src/ssh/connection';
import type { Log } from '../log';
import { askSudoPassword } from '../privilege-prompt';

const SELECTED_KEY = 'bpfdev.selectedTarget';

export class TargetManager implements vscode.Disposable {
  /** Runs on this machine; sudo's password, when needed, is asked once (privilege-prompt.ts). */
  readonly local = new LocalTarget({ askPassword: askSudoPassword });
  private target: Target = this.local;
  private connecting?: Promise<Target>;
  private readonly usedSecretKeys = new Set<string>();
  private readonly changed = new vscode.EventEmitter<Target>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: Log) {}

  get current(): Target {
    return this.target;
  }

  /** The host chosen in an earlier session, reconnected lazily (on first use). */
  get remembered(): string {
    return this.context.workspaceState.get<string>(SELECTED_KEY, 'local');
  }

  /** The current target, connecting to the remembered host first if needed. */
  async ready(): Promise<Target> {
    if (this.connecting) return this.connecting;
    const wanted = this.remembered;
    if (wanted !== this.target.name) return this.select(wanted);
    return this.target;
  }

  select(name: string): Promise<Target> {
    this.connecting = (async () => {
      const previous = this.target;
      const next = name === 'local' ? this.local : await this.connect(name);
      this.target = next;
      await this.context.workspaceState.update(SELECTED_KEY, name);
      if (previous !== next && previous !== this.local) await previous.dispose().catch(() => undefined);
      if (previous !== next) this.changed.fire(next);
      return next;
    })().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  dispose(): void {
    if (this.target !== this.local) void this.target.dispose();
    this.changed.dispose();
  }

  private async connect(spec: string): Promise<Target> {
    this.log.info(`connecting to ${spec}`);
    const typed = new Map<string, string>();
    let target: RemoteTarget;
    try {
      target = await RemoteTarget.connect(spec, {
        askHostKey: (question) => this.askHostKey(question),
        askSecret: (request) => this.secret(request, typed),
        log: (message) => this.log.info(message),
      });
    } catch (error) {
      // A stored secret that no longer works is forgotten, so the next attempt asks again.
      if ((error as { code?: string }).code === 'AUTH_FAILED') await this.forgetSecrets(spec);
      throw error;
    }
    // Secrets the user typed are kept only once they proved right.
    for (const [key, value] of typed) await this.context.secrets.store(key, value);
    target.connection.on('close', (error) => {
      this.log.warn(`connection to ${spec} closed${error ? `: ${error.message}` : ''}`);
      if (this.target === target) {
        // Fall back to local so nothing keeps using a dead session; the user reconnects by selecting it again.
        this.target = this.local;
        this.changed.fire(this.local);
        void vscode.window.showWarningMessage(`eBPF: the connection to ${spec} was lost; its programs were detached. Select it again to reconnect.`);
      }
    });
    return target;
  }

  private async askHostKey(question: HostKeyQuestion): Promise<boolean> {
    const where = question.port === 22 ? question.host : `${question.host}:${question.port}`;
    const trust = 'Trust and Connect';
    const answer = await vscode.window.showWarningMessage(
      `The host key of ${where} is not known.`,
      { modal: true, detail: `${question.keyType} key fingerprint:\n${question.fingerprint}\n\nCompare it with the host's real key (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) before trusting it. It will be added to your known_hosts.` },
      trust);
    return answer === trust;
  }

  /** Secrets come from SecretStorage when stored, else from the user (kept in `typed` until the login works). */
  private async secret(request: { kind: 'passphrase' | 'password'; id: string; prompt: string }, typed: Map<string, string>): Promise<string | undefined> {
    const key = `bpfdev.${request.id}`;
    const stored = await this.context.secrets.get(key);
    if (stored !== undefined) {
      this.usedSecretKeys.add(key);
      return stored;
    }
    const value = await vscode.window.showInputBox({ prompt: request.prompt, password: true, ignoreFocusOut: true });
    if (value !== undefined) typed.set(key, value);
    return value;
  }

  private async forgetSecrets(spec: string): Promise<void> {
    for (const key of this.usedSecretKeys) await this.context.secrets.delete(key);
    this.usedSecretKeys.clear();
    this.log.info(`authentication to ${spec} failed; stored credentials used for it were forgotten`);
  }
}
