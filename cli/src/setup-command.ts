/**
 * `bpfdev setup [--undo] [--yes] [--user NAME]`: lets a normal user load BPF programs without
 * sudo by installing a capability-enabled copy of the loader (see core/src/privilege/setup-plan.ts).
 * It prints every command before running any, asks unless --yes, and says how to undo.
 */
import * as readline from 'node:readline';
import { privilegeLabel } from '../../core/src/privilege/state';
import { SetupPlan, undoPlan, setupPlan } from '../../core/src/privilege/setup-plan';
import { quoteShellArgument } from '../../core/src/ssh/shell-quote';
import { LocalTarget } from '../../host/src/local-target';
import { gatherSetupFacts, runPlanAsRoot } from '../../host/src/setup';

export async function runSetup(options: { undo: boolean; yes: boolean; user?: string }): Promise<number> {
  const facts = gatherSetupFacts(options.user);
  const plan: SetupPlan = options.undo ? undoPlan(facts.arch, facts.manifest) : setupPlan(facts);
  const out = process.stdout;
  out.write(options.undo ? 'bpfdev setup --undo will, as root:\n' : 'bpfdev setup will, as root:\n');
  for (const step of plan.steps) out.write(`  - ${step.description}\n      ${step.argv.map(quoteShellArgument).join(' ')}\n`);
  for (const note of plan.notes) out.write(`${note}\n`);
  if (!options.yes) {
    if (!process.stdin.isTTY) {
      process.stderr.write('bpfdev setup: not a terminal, so nothing was changed; pass --yes to apply the commands above\n');
      return 1;
    }
    if (!/^y(es)?$/i.test((await ask('Apply? [y/N] ')).trim())) {
      out.write('nothing changed\n');
      return 1;
    }
  }
  await runPlanAsRoot(plan);
  // A fresh target reads the state anew; as the user it is what every later command will see.
  const state = await new LocalTarget().privilegeState();
  out.write(`done. privilege of ${state.user} now: ${privilegeLabel(state.kind)}\n`);
  for (const line of state.advice) out.write(`  - ${line}\n`);
  return 0;
}

function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  return new Promise((resolve) => rl.question(question, (answer) => { rl.close(); resolve(answer); }));
}
