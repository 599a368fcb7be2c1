/**
 * Which target the server compiles and verifies for. The local kernel for now; remote hosts
 * (issue #5) are reached through the client, which holds the SSH session.
 */
import { LocalTarget } from '../../host/src/local-target';
import type { Target } from '../../host/src/target';

export class TargetProvider {
  private readonly local = new LocalTarget();

  current(): Target {
    return this.local;
  }

  async dispose(): Promise<void> {
    await this.local.dispose();
  }
}
