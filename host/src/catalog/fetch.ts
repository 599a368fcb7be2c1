/**
 * Reads everything the catalogs need from a target in ONE command (one SSH round trip for a
 * remote host): kallsyms, tracefs tag files, every tracepoint format, and the loader's `probe`
 * (fentry can only be known by a load attempt). The result is reduced to the compact prebuilt
 * form and cached per kernel build, so a second open reads one JSON file and nothing else.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Btf, parseBtf } from '../../../core/src/btf/reader';
import { parseBtfOffThread } from '../btf-worker';
import {
  addBtfTracepoints, btfFunctionNames, buildPrebuiltCatalog, catalogFromPrebuilt, KernelCatalogWithProvenance, LazyBtfLookup, parseFetchOutput,
  PrebuiltCatalog, SECTION_MARK, validatePrebuiltCatalog,
} from '../../../core/src/catalog/kernel-catalog';
import { LocalTarget } from '../local-target';
import { Target } from '../target';
import { cacheDir, systemCacheDir } from '../paths';
import { loadTracepointReference } from './reference';
import { kernelBuild, kernelBuildKey } from '../vmlinux';

/**
 * `$1` is the loader's path on the target (empty when there is none). Every read runs in the
 * background into a temporary directory and the output is written at the end, so the reads
 * overlap each other and the caller's BTF parsing instead of stalling on a full pipe.
 * tracefs files report size 0, so archivers skip their content; `head` reads them to EOF.
 */
const FETCH_SCRIPT = [
  'T=/sys/kernel/tracing; [ -d "$T/events" ] || T=/sys/kernel/debug/tracing',
  'D=$(mktemp -d 2>/dev/null || mktemp -d -p /dev/shm 2>/dev/null) || { echo "no writable temporary directory on the host" >&2; exit 1; }',
  'trap \'rm -rf "$D"\' EXIT',
  `m() { printf '${SECTION_MARK}%s\\n' "$1"; }`,
  'cat /proc/kallsyms > "$D/kallsyms" &',
  'cat "$T/available_filter_functions" > "$D/filter" 2>/dev/null &',
  'cat /sys/kernel/debug/kprobes/blacklist > "$D/blacklist" 2>/dev/null &',
  '(cd "$T/events" 2>/dev/null && head -n 100000 -- */*/format) > "$D/formats" 2>/dev/null &',
  // --calls: which helpers and kfuncs each program type may call (thousands of tiny loads, in the background like the reads).
  'if [ -n "$1" ]; then "$1" probe --calls > "$D/probe" 2>&1 & fi',
  'wait',
  'm kallsyms; cat "$D/kallsyms"',
  'm filter; cat "$D/filter" 2>/dev/null',
  'm blacklist; cat "$D/blacklist" 2>/dev/null',
  'm kprobes; if [ -e /sys/bus/event_source/devices/kprobe ] || [ -e "$T/kprobe_events" ]; then echo yes; else echo no; fi',
  'm btf; if [ -e /sys/kernel/btf/vmlinux ]; then echo yes; else echo no; fi',
  // Without root these are skipped, not failed: say which, so the catalog can say what it lacks.
  'm notes',
  '[ -r "$T/events" ] || echo "tracefs ($T) is not readable: no tracepoint formats"',
  '[ ! -e "$T/available_filter_functions" ] || [ -r "$T/available_filter_functions" ] || echo "available_filter_functions is not readable: traceable tags skipped"',
  'if [ -n "$1" ]; then m probe; cat "$D/probe" 2>/dev/null; fi',
  'm formats; cat "$D/formats"',
  'exit 0',
].join('\n');

/** The per-build cache file; its `version` field says whether this build can read it. */
export const CATALOG_CACHE_FILE = 'kernel-catalog.json';
const CACHE_FILE = CATALOG_CACHE_FILE;
/** What earlier builds cached (the raw fetch output); removed when found. */
const STALE_CACHE_FILES = ['catalog-inputs.gz'];

export interface CatalogTimings {
  /** Reading the cache, or running the fetch on the target. */
  fetchMs: number;
  /** Everything else until the catalog is usable. */
  buildMs: number;
  cached: boolean;
}

export interface FetchedCatalog {
  prebuilt: PrebuiltCatalog;
  /** The target's BTF, already parsed for the hasBtf tags (null when it has none or it did not parse). */
  btf: Btf | null;
  /** sha256 of the fetch output and of the BTF, for provenance. */
  inputsSha256: string;
  btfSha256: string | undefined;
  errors: string[];
  /** False when the fetch ran without root: then the result is not cached, a later privileged read can do better. */
  privileged: boolean;
  fetchMs: number;
  buildMs: number;
}

/** Runs the fetch on the target and builds the prebuilt form (the expensive path: a new kernel build). */
export async function fetchPrebuiltCatalog(target: Target): Promise<FetchedCatalog> {
  const started = performance.now();
  const errors: string[] = [];
  const [{ build, btf: btfBytes }, loader] = await Promise.all([
    kernelBuild(target).catch((error: Error) => {
      errors.push(error.message);
      return { build: undefined, btf: undefined };
    }),
    target.loaderPath().catch((error: Error) => {
      errors.push(`no loader for the probe (fentry support stays unknown): ${error.message}`);
      return '';
    }),
  ]);
  // gzip on a remote host: the raw text is ~10 MB, compressed ~1.5 MB over the wire. Locally it only costs time.
  const compress = !(target instanceof LocalTarget);
  const script = compress ? `(${FETCH_SCRIPT}) | gzip -1` : FETCH_SCRIPT;
  const running = target.exec(['sh', '-c', script, 'sh', loader], { privileged: true, timeoutMs: 60_000 });
  // Parse the BTF while the host reads its files.
  const parsedBtf = btfBytes ? parseBtf(btfBytes) : undefined;
  if (parsedBtf) errors.push(...parsedBtf.errors.map((error) => `BTF: ${error}`));
  const btf = parsedBtf?.btf ?? null;
  const functionNames = btf ? btfFunctionNames(btf) : undefined;
  let privileged = true;
  let result = await running.catch((error: Error) => ({ code: null, signal: null, stdout: Buffer.alloc(0), stderr: error.message }));
  if (result.code !== 0 || result.stdout.length === 0) {
    // No root and no passwordless sudo: kallsyms names, the BTF flag and some of tracefs are still
    // readable, which beats falling back to the snapshot of another kernel.
    const privilegedError = result.stderr.trim() || `exit ${result.code}`;
    const plain = await target.exec(['sh', '-c', script, 'sh', loader], { timeoutMs: 60_000 }).catch(() => undefined);
    if (!plain || plain.code !== 0 || plain.stdout.length === 0) {
      throw new Error(`reading the kernel catalogs on ${target.name} failed: ${privilegedError}`);
    }
    errors.push(`read the kernel catalogs of ${target.name} without root (${privilegedError}): tracepoints and fentry support may be missing`);
    result = plain;
    privileged = false;
  }
  const fetchMs = performance.now() - started;
  const buildStarted = performance.now();
  const raw = compress ? gunzipSync(result.stdout) : result.stdout;
  const inputsSha256 = createHash('sha256').update(raw).digest('hex');
  const parsed = parseFetchOutput(raw.toString('utf8'));
  errors.push(...parsed.errors);
  const prebuilt = buildPrebuiltCatalog(parsed.inputs, functionNames, {
    target: target.name,
    kernel: build?.release ?? await target.kernelRelease().catch(() => 'unknown'),
    ...(build ? { arch: build.arch, btfDigest: build.btfDigest } : {}),
    fetchedAt: new Date().toISOString(),
  });
  if (prebuilt.tracepoints.length === 0 && btf) {
    // tracefs is root-only: tracepoints from what any user can read (issue #9), marked partial.
    errors.push(...addBtfTracepoints(prebuilt, btf, parsed.inputs.kallsyms, loadTracepointReference(errors)));
  }
  return {
    prebuilt, btf, inputsSha256, errors, privileged, fetchMs, buildMs: performance.now() - buildStarted,
    btfSha256: btfBytes ? createHash('sha256').update(btfBytes).digest('hex') : undefined,
  };
}

/**
 * The target's catalog: from the per-build cache when this kernel build was seen before
 * (tens of ms), else fetched and built (and cached). Rejects when the target cannot be read;
 * the caller then falls back to the bundled snapshot (snapshot.ts).
 */
export async function loadKernelCatalog(target: Target): Promise<{ catalog: KernelCatalogWithProvenance; timings: CatalogTimings; errors: string[] }> {
  const started = performance.now();
  const errors: string[] = [];
  const build = await kernelBuildKey(target).catch((error: Error) => {
    // No BTF, no cache key: still worth reading kallsyms and tracefs, just not caching them.
    errors.push(`${error.message}; the catalog is not cached`);
    return undefined;
  });
  if (!build) return loadUncached(target, started, errors);
  const dir = cacheDir('targets', build.key);
  const file = path.join(dir, CACHE_FILE);
  const cachedText = readIfExists(file);
  if (cachedText !== undefined) {
    const fetchMs = performance.now() - started;
    const { prebuilt, error } = parseCatalogJson(cachedText);
    if (prebuilt) {
      // The catalog is served now; the BTF (local: already read; remote: on its way) is parsed
      // when it is here and the first prototype question comes.
      const btfBytes = kernelBuild(target).then(({ btf }) => btf);
      const catalog = catalogFromPrebuilt(prebuilt, LazyBtfLookup.offThread(btfBytes, parseBtfOffThread));
      const totalMs = performance.now() - started;
      return {
        catalog: { ...catalog, origin: { source: 'cache', target: target.name, kernel: build.release, buildMs: totalMs } },
        timings: { fetchMs, buildMs: totalMs - fetchMs, cached: true },
        errors,
      };
    }
    errors.push(`cache ${file} not used (${error}); rebuilding`);
  }
  const shared = readSystemCache(build.key, errors);
  if (shared) {
    const btfBytes = kernelBuild(target).then(({ btf }) => btf);
    const catalog = catalogFromPrebuilt(shared, LazyBtfLookup.offThread(btfBytes, parseBtfOffThread));
    const totalMs = performance.now() - started;
    return {
      catalog: { ...catalog, origin: { source: 'cache', target: target.name, kernel: build.release, buildMs: totalMs } },
      timings: { fetchMs: totalMs, buildMs: 0, cached: true },
      errors,
    };
  }

  const fetched = await fetchPrebuiltCatalog(target);
  errors.push(...fetched.errors);
  const json = JSON.stringify(fetched.prebuilt);
  if (fetched.privileged) {
    writeAtomically(file, json);
    for (const stale of STALE_CACHE_FILES) fs.rmSync(path.join(dir, stale), { force: true });
    if (target instanceof LocalTarget) writeSystemCache(build.key, json, errors);
  }
  // Built from the JSON rather than the objects in hand: its strings are fresh, while those are
  // slices of the ~10 MB fetch output and would keep all of it alive. It also is the cache's path.
  const catalog = catalogFromPrebuilt(JSON.parse(json) as PrebuiltCatalog,
    // The fetch parsed the BTF for its function names; the lookups get their own copy from the
    // worker, indexed there, so the server thread never builds the name index.
    fetched.btf ? LazyBtfLookup.offThread(kernelBuild(target).then(({ btf }) => btf), parseBtfOffThread)
      : new LazyBtfLookup(() => ({ btf: null, errors: ['the target has no usable BTF'] })));
  const totalMs = performance.now() - started;
  return {
    catalog: { ...catalog, origin: { source: 'live', target: target.name, kernel: build.release, buildMs: totalMs } },
    timings: { fetchMs: fetched.fetchMs, buildMs: totalMs - fetched.fetchMs, cached: false },
    errors,
  };
}

async function loadUncached(target: Target, started: number, errors: string[]) {
  const fetched = await fetchPrebuiltCatalog(target);
  errors.push(...fetched.errors);
  const catalog = catalogFromPrebuilt(JSON.parse(JSON.stringify(fetched.prebuilt)) as PrebuiltCatalog);
  const totalMs = performance.now() - started;
  return {
    catalog: { ...catalog, origin: { source: 'live' as const, target: target.name, kernel: fetched.prebuilt.provenance.kernel ?? 'unknown', buildMs: totalMs } },
    timings: { fetchMs: fetched.fetchMs, buildMs: totalMs - fetched.fetchMs, cached: false },
    errors,
  };
}

/** JSON text → validated prebuilt catalog; never throws. */
export function parseCatalogJson(text: string): { prebuilt?: PrebuiltCatalog; error?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  return validatePrebuiltCatalog(value);
}

/**
 * The machine-wide copy of a privileged fetch, for users who cannot read tracefs. Trusted only
 * when root owns it and nobody else can write it (or this user wrote it, in tests): it holds names
 * and layouts, and a forged one would mislead completion and diagnostics.
 */
function readSystemCache(key: string, errors: string[]): PrebuiltCatalog | undefined {
  const file = systemCacheDir('targets', key, CACHE_FILE);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  const owner = process.geteuid?.() ?? 0;
  if ((stat.uid !== 0 && stat.uid !== owner) || (stat.mode & 0o022) !== 0) {
    errors.push(`${file} not used: not owned by root or writable by others`);
    return undefined;
  }
  const text = readIfExists(file);
  const { prebuilt, error } = text === undefined ? { error: 'unreadable' } : parseCatalogJson(text);
  if (!prebuilt) errors.push(`${file} not used (${error})`);
  return prebuilt;
}

/** Root only: shares a privileged catalog (names and layouts, no addresses) with the machine's users. */
function writeSystemCache(key: string, json: string, errors: string[]): void {
  if (process.geteuid?.() !== 0) return;
  const dir = systemCacheDir('targets', key);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const file = path.join(dir, CACHE_FILE);
    writeAtomically(file, json);
    fs.chmodSync(file, 0o644);
  } catch (error) {
    errors.push(`could not share the catalog in ${dir}: ${(error as Error).message}`);
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, data: string | Uint8Array): void {
  // Write then rename, so a concurrent reader never sees half a file.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}
