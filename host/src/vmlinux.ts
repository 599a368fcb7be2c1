/**
 * Provides `vmlinux.h` for a target, generated from that target's own BTF and cached per kernel
 * build (release + BTF digest), so programs compile against the kernel they will run on and the
 * second compile does not pay for generation again.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Target, TargetError } from './target';
import { cacheDir } from './paths';
import { generateVmlinuxHeader } from './btf-header';
import { VMLINUX_GENERATOR_VERSION } from '../../core/src/btf/c-header';

export const VMLINUX_BTF_PATH = '/sys/kernel/btf/vmlinux';

export interface KernelBuild {
  release: string;
  arch: string;
  /** First 16 hex digits of the BTF's sha256: changes whenever the kernel's types change. */
  btfDigest: string;
  /** Stable directory name for caches keyed by this build. */
  key: string;
}

const buildCache = new WeakMap<Target, Promise<{ build: KernelBuild; btf: Buffer }>>();

/** Reads the target's BTF once per Target object and derives the build key from it. */
export function kernelBuild(target: Target): Promise<{ build: KernelBuild; btf: Buffer }> {
  let pending = buildCache.get(target);
  if (!pending) {
    pending = (async () => {
      const [release, arch] = await Promise.all([target.kernelRelease(), target.arch()]);
      let btf: Buffer;
      try {
        btf = await target.readFile(VMLINUX_BTF_PATH);
      } catch (error) {
        throw new TargetError(
          `${target.name}: the kernel ${release} exposes no BTF (${VMLINUX_BTF_PATH}): ${(error as Error).message}`,
          'NO_BTF',
          'CO-RE programs need a kernel built with CONFIG_DEBUG_INFO_BTF=y; without it, include kernel headers instead of vmlinux.h',
        );
      }
      const btfDigest = createHash('sha256').update(btf).digest('hex').slice(0, 16);
      const key = buildKey(release, arch, btfDigest);
      return { build: { release, arch, btfDigest, key }, btf };
    })();
    buildCache.set(target, pending);
    pending.catch(() => buildCache.delete(target));
  }
  return pending;
}

/**
 * The build key alone, without bringing the BTF here when the target can hash it itself
 * (a remote host: 5.5 MB over the network only to learn that the cache is still valid).
 */
export async function kernelBuildKey(target: Target): Promise<KernelBuild> {
  if (!buildCache.has(target) && target.btfDigest) {
    const [release, arch, btfDigest] = await Promise.all([target.kernelRelease(), target.arch(), target.btfDigest()]);
    if (btfDigest) return { release, arch, btfDigest, key: buildKey(release, arch, btfDigest) };
  }
  return (await kernelBuild(target)).build;
}

function buildKey(release: string, arch: string, btfDigest: string): string {
  return `${release.replace(/[^A-Za-z0-9._-]/g, '_')}-${arch}-${btfDigest}`;
}

/** Returns the directory holding `vmlinux.h` for the target, generating it on first use. */
export async function vmlinuxIncludeDir(target: Target): Promise<{ dir: string; build: KernelBuild }> {
  const { build, btf } = await kernelBuild(target);
  const dir = cacheDir('targets', build.key, `vmlinux-g${VMLINUX_GENERATOR_VERSION}`);
  const header = path.join(dir, 'vmlinux.h');
  if (!fs.existsSync(header)) {
    const text = generateVmlinuxHeader(btf);
    // Write then rename, so a concurrent compile never sees half a header.
    const temporary = `${header}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, header);
  }
  return { dir, build };
}
