/** Turns raw kernel BTF into `vmlinux.h` text with our own TypeScript BTF reader (no bpftool needed). */
import { parseBtf } from '../../core/src/btf/reader';
import { generateVmlinuxH } from '../../core/src/btf/c-header';
import { TargetError } from './target';

export function generateVmlinuxHeader(btfBytes: Uint8Array): string {
  const { btf, errors } = parseBtf(btfBytes);
  if (!btf) {
    throw new TargetError(`the kernel's BTF could not be read: ${errors.join('; ')}`, 'BAD_BTF');
  }
  return generateVmlinuxH(btf);
}
