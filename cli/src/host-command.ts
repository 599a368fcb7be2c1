/** `bpfdev host`: the host report, for people (aligned text) or scripts (--json). */
import { formatHostReport, hostReport } from '../../host/src/host-report';
import { openTarget, TargetOptions } from './targets';

export async function runHost(options: { json: boolean; target: TargetOptions }): Promise<number> {
  const target = await openTarget(options.target);
  try {
    // Compiles run here: the flags the current directory's sources get are part of what this host does.
    const report = await hostReport(target, { projectDir: process.cwd() });
    process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatHostReport(report) + '\n');
    return report.privilege === 'none' ? 1 : 0;
  } finally {
    await target.dispose();
  }
}
