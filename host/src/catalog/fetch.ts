/**
 * Fetches everything the catalogs need from a target in ONE command (one SSH round trip for a
 * remote host): kallsyms, tracefs tag files and every tracepoint format, gzip-compressed.
 * tracefs files report size 0, so archivers skip their content; `head` reads them to EOF.
 * The result is cached per kernel build, so a second open reads only the local cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseBtf } from '../../../core/src/btf/reader';
import { buildKernelCatalog, KernelCatalogWithProvenance, parseFetchOutput, SECTION_MARK } from '../../../core/src/catalog/kernel-catalog';
import { Target } from '../target';
import { cacheDir } from '../paths';
import { kernelBuild } from '../vmlinux';

const FETCH_SCRIPT = [
  'T=/sys/kernel/tracing; [ -d "$T/events" ] || T=/sys/kernel/debug/tracing',
  `m() { printf '${SECTION_MARK}%s\\n' "$1"; }`,
  'm kallsyms; cat /proc/kallsyms',
  'm filter; cat "$T/available_filter_functions" 2>/dev/null',
  'm blacklist; cat /sys/kernel/debug/kprobes/blacklist 2>/dev/null',
  'm kprobes; if [ -e /sys/bus/event_source/devices/kprobe ] || [ -e "$T/kprobe_events" ]; then echo yes; else echo no; fi',
  'm btf; if [ -e /sys/kernel/btf/vmlinux ]; then echo yes; else echo no; fi',
  'm formats; cd "$T/events" 2>/dev/null && head -n 100000 -- */*/format 2>/dev/null',
  'exit 0',
].join('\n');

export interface CatalogTimings { fetchMs: number; buildMs: number; cached: boolean }

const CACHE_FILE = 'catalog-inputs.gz';

/** The compressed fetch output for the target, from the disk cache when this kernel build was seen before. */
export async function fetchCatalogArchive(target: Target): Promise<{ archive: Buffer; cached: boolean; key: string }> {
  const { build } = await kernelBuild(target);
  const file = path.join(cacheDir('targets', build.key), CACHE_FILE);
  if (fs.existsSync(file)) return { archive: fs.readFileSync(file), cached: true, key: build.key };
  // gzip on the host: the raw text is ~10 MB, compressed ~1.5 MB over the wire.
  const result = await target.exec(['sh', '-c', `(${FETCH_SCRIPT}) | gzip -1`], { privileged: true, timeoutMs: 60_000 });
  if (result.code !== 0 || result.stdout.length === 0) {
    throw new Error(`reading the kernel catalogs on ${target.name} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
  }
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, result.stdout);
  fs.renameSync(temporary, file);
  return { archive: result.stdout, cached: false, key: build.key };
}

export async function loadKernelCatalog(target: Target): Promise<{ catalog: KernelCatalogWithProvenance; timings: CatalogTimings; errors: string[] }> {
  const fetchStarted = performance.now();
  const [{ archive, cached }, { build, btf: btfBytes }] = await Promise.all([fetchCatalogArchive(target), kernelBuild(target)]);
  const fetchMs = performance.now() - fetchStarted;
  const buildStarted = performance.now();
  const { inputs, errors } = parseFetchOutput(gunzipSync(archive).toString('utf8'));
  const parsedBtf = parseBtf(btfBytes);
  errors.push(...parsedBtf.errors.map((error) => `BTF: ${error}`));
  const catalog = buildKernelCatalog(inputs, parsedBtf.btf ?? undefined);
  const buildMs = performance.now() - buildStarted;
  return {
    catalog: { ...catalog, origin: { source: cached ? 'cache' : 'live', target: target.name, kernel: build.release, buildMs } },
    timings: { fetchMs, buildMs, cached },
    errors,
  };
}
