/** `bpfdev knobs FILE`: the globals `--set` can change, with their types and the object's values. */
import { compileForTarget, CompileOptions } from '../../host/src/compile';
import { readKnobs } from '../../host/src/knobs';
import { openTarget, TargetOptions } from './targets';
import { formatSourceDiagnostic } from './format';

export async function runKnobs(file: string, options: { json: boolean; compile: CompileOptions; target: TargetOptions }): Promise<number> {
  let objectPath = file;
  if (!file.endsWith('.o')) {
    // A source: the knobs and their defaults are what clang makes of it for the target.
    const target = await openTarget(options.target);
    try {
      const compiled = await compileForTarget(file, target, options.compile);
      for (const diagnostic of compiled.diagnostics) process.stderr.write(formatSourceDiagnostic(diagnostic) + '\n');
      if (!compiled.ok) return 1;
      objectPath = compiled.objectPath;
    } finally {
      await target.dispose();
    }
  }
  const { knobs, errors } = await readKnobs(objectPath);
  for (const error of errors) process.stderr.write(`bpfdev knobs: ${error}\n`);
  if (options.json) {
    process.stdout.write(JSON.stringify({ knobs }, null, 2) + '\n');
  } else if (knobs.length === 0) {
    process.stdout.write('no knobs (.rodata, .data or .bss globals)\n');
  } else {
    for (const knob of knobs) {
      process.stdout.write(`${knob.name}\t${knob.section}\t${knob.type}\t= ${JSON.stringify(knob.value ?? null)}\t(${knob.settable ? knob.accepts : `not settable: ${knob.reason}`})\n`);
    }
  }
  return errors.length && knobs.length === 0 ? 1 : 0;
}
