/**
 * Locates files shipped with the package (loader binaries, bpf-headers) whether the code runs
 * from the esbuild bundle (dist/), from tsc output (out/<project>/src/) or from a packaged .vsix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let cachedRoot: string | undefined;

export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && fs.existsSync(path.join(dir, 'bpf-headers'))) return (cachedRoot = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the bpfdev package root above ${__dirname}`);
    dir = parent;
  }
}

export function bpfHeadersDir(): string {
  return path.join(packageRoot(), 'bpf-headers');
}

export function localLoaderPath(arch: string): string {
  return path.join(packageRoot(), 'loader', 'out', `bpfdev-loader-${arch}`);
}

/**
 * Machine-wide cache, written only by a root process and readable by every user: a catalog
 * fetched with privileges then serves users who cannot read tracefs (issue #9). Not created here.
 */
export function systemCacheDir(...parts: string[]): string {
  return path.join(process.env.BPFDEV_SYSTEM_CACHE_DIR ?? '/var/cache/bpfdev', ...parts);
}

/** Per-user cache (vmlinux.h per kernel build, compiled objects); XDG layout. */
export function cacheDir(...parts: string[]): string {
  const base = process.env.BPFDEV_CACHE_DIR
    ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '/tmp', '.cache'), 'bpfdev');
  const dir = path.join(base, ...parts);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
