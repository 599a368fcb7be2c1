/** One BPF helper as a program calls it (types already in the program's view: `__u64`, `struct __sk_buff`). */
export interface BpfHelper {
  /** The helper id: the immediate of the BPF call instruction. */
  id: number;
  /** C name, with the `bpf_` prefix. */
  name: string;
  returnType: string;
  args: BpfHelperArg[];
  /** Takes further arguments after `args` (only bpf_trace_printk). */
  variadic?: true;
  /** C prototype, e.g. `void *bpf_map_lookup_elem(void *map, const void *key)`. */
  signature: string;
  /** One-line summary of the kernel's description, at most 200 characters. */
  doc: string;
}

export interface BpfHelperArg {
  /** C type, e.g. `const void *`; pointer types end with `*`. */
  type: string;
  name: string;
}

/** Where the catalog came from, so a hover can say which kernel headers it reflects. */
export interface HelperCatalogSource {
  /** The UAPI header it was generated from, repository-relative (third_party/linux-uapi/PROVENANCE says which kernel). */
  file: string;
  /** Of `file`'s bytes: content, not a package revision, identifies the source (issue #9). */
  sha256: string;
  generator: string;
  /** Helpers the source lists by id but documents no prototype for. */
  undocumented: string[];
}
