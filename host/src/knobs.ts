/**
 * Run knobs on objects on disk (issue #11): the pure work is in core/src/knobs; this reads the
 * object and writes the patched copy to our cache, so the loader opens a plain file.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheDir } from './paths';
import { applyKnobs, KnobList, KnobSetting, listKnobs, parseKnobSetting } from '../../core/src/knobs/knobs';

export async function readKnobs(objectPath: string): Promise<KnobList> {
  return listKnobs(new Uint8Array(await fs.promises.readFile(objectPath)));
}

export class KnobError extends Error {
  readonly code = 'EKNOB';
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
  }
}

/** `NAME=VALUE` flags parsed; malformed ones throw a KnobError naming them all. */
export function parseKnobFlags(flags: string[]): KnobSetting[] {
  const parsed = flags.map(parseKnobSetting);
  const errors = parsed.flatMap((setting) => ('error' in setting ? [setting.error] : []));
  if (errors.length) throw new KnobError(errors);
  return parsed as KnobSetting[];
}

/**
 * The object to load: the original when nothing is set, else a copy with the settings written
 * in, in our cache (never beside a user's own object; named by object and settings, so two runs
 * with different knobs do not share a file). Every setting is checked before anything
 * is written.
 */
export async function objectWithKnobs(objectPath: string, settings: KnobSetting[]): Promise<{ objectPath: string; applied: string[] }> {
  if (settings.length === 0) return { objectPath, applied: [] };
  const result = applyKnobs(new Uint8Array(await fs.promises.readFile(objectPath)), settings);
  if (!result.object) throw new KnobError(result.errors);
  const patched = path.join(cacheDir('knobs'), `${path.basename(objectPath, '.o')}-${createHash('sha256').update(JSON.stringify([path.resolve(objectPath), settings])).digest('hex').slice(0, 8)}.o`);
  await fs.promises.writeFile(patched, result.object);
  return { objectPath: patched, applied: result.applied };
}
