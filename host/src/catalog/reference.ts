/**
 * The catalog that lends tracepoint categories and syscall arguments to a catalog rebuilt from
 * BTF (tracefs not readable, issue #9): neither is in BTF, and both rarely change between
 * kernels. The nearest source wins: the newest privileged catalog cached on this machine (per
 * user or machine-wide, any kernel build), else the bundled snapshot.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { catalogFromPrebuilt, PrebuiltCatalog } from '../../../core/src/catalog/kernel-catalog';
import type { TracepointReference } from '../../../core/src/tracefs/btf-tracepoints';
import { cacheDir, systemCacheDir } from '../paths';
import { CATALOG_CACHE_FILE, parseCatalogJson } from './fetch';
import { SNAPSHOT_CATALOG_FILE, snapshotDir } from './snapshot';

export function loadTracepointReference(errors: string[]): TracepointReference | undefined {
  const cached = newestCachedCatalogs();
  for (const file of cached) {
    const text = readText(file);
    const { prebuilt } = text === undefined ? {} : parseCatalogJson(text);
    if (prebuilt && prebuilt.tracepoints.length > 0) return referenceOf(prebuilt, `the cached catalog of ${prebuilt.provenance.kernel ?? 'another kernel'}`);
  }
  try {
    const { prebuilt, error } = parseCatalogJson(brotliDecompressSync(fs.readFileSync(path.join(snapshotDir(), SNAPSHOT_CATALOG_FILE))).toString('utf8'));
    if (prebuilt) return referenceOf(prebuilt, `the bundled snapshot of ${prebuilt.provenance.kernel ?? 'another kernel'}`);
    errors.push(`no reference for tracepoint categories: the bundled snapshot is unusable (${error})`);
  } catch (error) {
    errors.push(`no reference for tracepoint categories: ${(error as Error).message}`);
  }
  return undefined;
}

function referenceOf(prebuilt: PrebuiltCatalog, name: string): TracepointReference {
  return { name, tracepoints: catalogFromPrebuilt(prebuilt).tracepoints! };
}

/** Cached privileged catalogs of every kernel build seen, newest first. */
function newestCachedCatalogs(): string[] {
  const files: { file: string; mtimeMs: number }[] = [];
  for (const dir of [cacheDir('targets'), systemCacheDir('targets')]) {
    let builds: string[] = [];
    try {
      builds = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const build of builds) {
      const file = path.join(dir, build, CATALOG_CACHE_FILE);
      try {
        files.push({ file, mtimeMs: fs.statSync(file).mtimeMs });
      } catch {
        // This build cached no catalog (only vmlinux.h, say).
      }
    }
  }
  return files.sort((a, b) => b.mtimeMs - a.mtimeMs).slice(0, 3).map(({ file }) => file);
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
