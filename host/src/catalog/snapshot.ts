/**
 * The bundled catalog snapshot: one real kernel's catalog (prebuilt form + its BTF), captured by
 * scripts/gen-catalog-snapshot.mjs and shipped in the package, so completion still works when
 * no target can be read (no host reachable, or an editor on macOS/Windows). Everything served
 * from it is marked as such (origin.source === 'snapshot').
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, brotliDecompress, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { parseBtfOffThread } from '../btf-worker';
import { catalogFromPrebuilt, KernelCatalogWithProvenance, LazyBtfLookup, PrebuiltCatalog } from '../../../core/src/catalog/kernel-catalog';
import { packageRoot } from '../paths';
import { parseCatalogJson } from './fetch';

export const SNAPSHOT_CATALOG_FILE = 'kernel-catalog.json.br';
export const SNAPSHOT_BTF_FILE = 'vmlinux.btf.br';

export function snapshotDir(): string {
  return path.join(packageRoot(), 'catalog-snapshot');
}

/** Loads the snapshot; rejects (with the reason) when the package has none or it is unreadable. */
export function loadSnapshotCatalog(targetName: string, dir = snapshotDir()): { catalog: KernelCatalogWithProvenance; errors: string[] } {
  const started = performance.now();
  const compressed = fs.readFileSync(path.join(dir, SNAPSHOT_CATALOG_FILE));
  const { prebuilt, error } = parseCatalogJson(brotliDecompressSync(compressed).toString('utf8'));
  if (!prebuilt) throw new Error(`the bundled catalog snapshot is unusable: ${error}`);
  const btfFile = path.join(dir, SNAPSHOT_BTF_FILE);
  const btf = fs.existsSync(btfFile)
    // Decompressed on libuv's thread pool and parsed in a worker: the editor stays responsive.
    ? LazyBtfLookup.offThread(fs.promises.readFile(btfFile).then((compressed) => promisify(brotliDecompress)(compressed)), parseBtfOffThread)
    : undefined;
  const catalog = catalogFromPrebuilt(prebuilt, btf);
  return {
    catalog: {
      ...catalog,
      snapshot: `a bundled snapshot of ${prebuilt.provenance.kernel ?? 'another kernel'}`,
      origin: { source: 'snapshot', target: targetName, kernel: prebuilt.provenance.kernel ?? 'unknown kernel', buildMs: performance.now() - started },
    },
    errors: [],
  };
}

/** Writes a snapshot (used by the generator script); returns the files and their sizes. */
export function writeSnapshot(dir: string, prebuilt: PrebuiltCatalog, btf: Uint8Array | undefined): { file: string; bytes: number }[] {
  fs.mkdirSync(dir, { recursive: true });
  // Brotli at its densest: the snapshot is written once and shipped in every package.
  const options = { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24 } };
  const written: { file: string; bytes: number }[] = [];
  const write = (name: string, data: Uint8Array) => {
    const compressed = brotliCompressSync(data, options);
    fs.writeFileSync(path.join(dir, name), compressed);
    written.push({ file: path.join(dir, name), bytes: compressed.length });
  };
  write(SNAPSHOT_CATALOG_FILE, Buffer.from(JSON.stringify(prebuilt), 'utf8'));
  if (btf) write(SNAPSHOT_BTF_FILE, btf);
  else fs.rmSync(path.join(dir, SNAPSHOT_BTF_FILE), { force: true });
  return written;
}
