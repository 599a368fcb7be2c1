/**
 * Plain-language explanations of verifier rejections, one per kind, and quick-fix descriptions
 * where the fix is mechanical. A quick fix carries the data an editor needs to build the text edit
 * (variable names read from the source line the kernel printed, the line to anchor the edit at);
 * computing the edit itself is the server's job, since only it has the document.
 */
import type { VerifierErrorKind } from './kinds';
import type { SourceLocation, VerifierReport } from './parse';

export interface KindInfo {
  /** Short headline, e.g. "Map value used without a NULL check". */
  title: string;
  /** Two to four sentences on what the verifier objects to and how programs usually avoid it. */
  explanation: string;
  docsLink: string;
}

interface QuickFixBase {
  /** Label for the editor's quick-fix menu. */
  title: string;
  /** 1-based line the edit belongs to (the failing line unless the fix says otherwise). */
  line?: number;
}

export type QuickFix =
  | QuickFixBase & {
    kind: 'insert-null-check';
    /** The pointer to check. */
    variable: string;
    register?: string;
    /** Put the check right after this line (where the pointer was obtained), else before `line`. */
    insertAfterLine?: number;
    /** Statement to insert, without indentation. */
    statement: string;
  }
  | QuickFixBase & {
    kind: 'use-probe-read';
    /** The pointer being dereferenced, when the source line shows it. */
    pointer?: string;
    /** The helper to read through; the other candidates follow in `alternatives`. */
    helper: string;
    alternatives: string[];
  }
  | QuickFixBase & {
    kind: 'add-bounds-check';
    /** What is being bounded. */
    target: 'map-value' | 'packet' | 'helper-size' | 'index';
    /** The variable to check (an index or a size), when the source line shows it. */
    variable?: string;
    /** Exclusive upper bound the check should enforce, when it can be worked out. */
    upperBound?: number;
    /** The check needs a lower bound too (a signed index). */
    lowerBound?: number;
    /** For packets: bytes from the packet start that the access needs. */
    bytesNeeded?: number;
    /** Statement to insert before `line`, without indentation, when it can be written out. */
    statement?: string;
  }
  | QuickFixBase & { kind: 'use-bpf-loop' }
  | QuickFixBase & {
    kind: 'move-to-percpu-array';
    /** Stack bytes the program needs, when the kernel said. */
    stackBytes?: number;
    limit: 512;
  }
  | QuickFixBase & {
    kind: 'release-reference';
    /** The variable holding the reference, read from the line that acquired it. */
    variable?: string;
    acquiredBy?: string;
    /** The call that gives the reference back, e.g. `bpf_ringbuf_discard(event, 0);`. */
    statement?: string;
    releaseFunction: string;
    acquireLine?: number;
  }
  | QuickFixBase & { kind: 'set-gpl-license'; license: 'GPL'; statement: string }
  | QuickFixBase & { kind: 'replace-helper'; from: string; to: string };

export interface VerifierExplanation extends KindInfo {
  kind: VerifierErrorKind;
  /** Present when the fix is mechanical and the log gave enough to describe it. */
  fix?: QuickFix;
}

const VERIFIER_DOCS = 'https://docs.kernel.org/bpf/verifier.html';
const HELPERS_DOCS = 'https://man7.org/linux/man-pages/man7/bpf-helpers.7.html';

export const KIND_INFO: Record<VerifierErrorKind, KindInfo> = {
  'null-deref-map-value': {
    title: 'Map value used without a NULL check',
    explanation: 'bpf_map_lookup_elem() returns NULL when the key is not in the map, and the verifier will not let a program read or write through a pointer that may be NULL. Compare the result with NULL right after the lookup and leave (or take another path) when it is; after that check the verifier treats the pointer as valid.',
    docsLink: VERIFIER_DOCS,
  },
  'null-deref-pointer': {
    title: 'Pointer that may be NULL is dereferenced',
    explanation: 'The verifier considers this pointer possibly NULL: it came from a helper or kfunc that can fail, or it is an argument of a global function, which the kernel checks on its own and assumes may receive NULL. Test it against NULL before the first use.',
    docsLink: VERIFIER_DOCS,
  },
  'raw-pointer-deref': {
    title: 'Kernel or user pointer dereferenced directly',
    explanation: 'The value is an address the program got as a plain number (from the context of a tracepoint or kprobe, or from bpf_get_current_task()), so the verifier knows nothing about the memory behind it. Copy the data out with bpf_probe_read_user() for user memory or bpf_probe_read_kernel() (or BPF_CORE_READ) for kernel memory; those helpers handle faults safely.',
    docsLink: HELPERS_DOCS,
  },
  'invalid-mem-access': {
    title: 'Dereference of something that is not a pointer',
    explanation: 'The register used as an address holds a number, not a pointer the verifier has tracked from a map, the stack, the packet or the context. BPF programs can only access memory through such pointers; arbitrary addresses have to be read with a probe-read helper instead.',
    docsLink: VERIFIER_DOCS,
  },
  'out-of-bounds-map-value': {
    title: 'Access past the end of a map value',
    explanation: 'The verifier computed that this access can reach beyond the map value (the message gives the value size, the offset and the access size). Check the index against the number of elements before using it, with a comparison the verifier can see, and make sure that check is not off by one.',
    docsLink: VERIFIER_DOCS,
  },
  'unbounded-variable-offset': {
    title: 'Offset without a known upper bound',
    explanation: 'A variable is added to a pointer, and nothing before the access limits how large that variable can be, so the verifier cannot prove the access stays inside the object. Compare the variable against the size of the array (or mask it) on every path before the access.',
    docsLink: VERIFIER_DOCS,
  },
  'negative-offset': {
    title: 'Index may be negative',
    explanation: 'The index is signed and only its upper bound is checked, so the verifier has to assume it can be negative and point before the start of the object. Use an unsigned type for the index or also check that it is not below zero.',
    docsLink: VERIFIER_DOCS,
  },
  'unbounded-loop': {
    title: 'Loop the verifier cannot prove finishes',
    explanation: 'The verifier came back to the same loop in exactly the same state, so as far as it can tell the loop never ends. Give the loop a bound that the verifier can follow (a counter compared with a constant), or use bpf_loop() for loops whose trip count is only known at run time.',
    docsLink: VERIFIER_DOCS,
  },
  'too-many-instructions': {
    title: 'Program too complex to verify',
    explanation: 'The verifier walks every path through the program and gives up after one million instructions (or too many pending branches). Many independent branches multiply the paths, and loops with large bounds repeat their body once per iteration. Reduce branching, move loop bodies into bpf_loop() callbacks, or split the work across tail calls.',
    docsLink: VERIFIER_DOCS,
  },
  'stack-too-large': {
    title: 'Stack larger than 512 bytes',
    explanation: 'A BPF program and the functions it calls share at most 512 bytes of stack; here the deepest call chain needs more. Move large buffers into a per-CPU array map with one entry and work on the map value instead of a local array.',
    docsLink: 'https://docs.kernel.org/bpf/map_array.html',
  },
  'stack-out-of-bounds': {
    title: 'Access outside the stack frame',
    explanation: 'The access lands outside the 512 bytes below the frame pointer (R10), the only stack a BPF function may use. This usually comes from inline assembly or from pointer arithmetic on the address of a local variable.',
    docsLink: VERIFIER_DOCS,
  },
  'unreleased-reference': {
    title: 'Reference not released on every path',
    explanation: 'Some objects the program acquires (a ring buffer reservation, a socket from a lookup, a task from bpf_task_acquire()) must be handed back before the program ends. On the path shown the program returns while still holding one. Submit or discard it, or call the matching release function, on every return path.',
    docsLink: 'https://docs.kernel.org/bpf/ringbuf.html',
  },
  'helper-not-allowed': {
    title: 'Helper not available to this program type',
    explanation: 'Each program type gets its own set of helpers, and this one is not offered to the type given by the SEC() name. Use a helper that is available here, or move this work to a program type that has it (for example tc instead of a socket filter to rewrite packets).',
    docsLink: HELPERS_DOCS,
  },
  'kfunc-not-allowed': {
    title: 'Kernel function not available to this program type',
    explanation: 'Kernel functions (kfuncs) are registered for specific program types, and this one is not registered for the type of this program. Check which program types the kfunc supports and use one of them.',
    docsLink: 'https://docs.kernel.org/bpf/kfuncs.html',
  },
  'gpl-only-helper': {
    title: 'GPL-only helper in a program without a GPL-compatible license',
    explanation: 'Some helpers (for tracing in particular) are only available to programs that declare a GPL-compatible license in their "license" section. Declare one, for example `char LICENSE[] SEC("license") = "GPL";`, if that is right for your program.',
    docsLink: 'https://docs.kernel.org/bpf/bpf_licensing.html',
  },
  'invalid-ctx-access': {
    title: 'Context field not accessible',
    explanation: 'The program reads or writes a field of its context argument that this program type may not touch at that offset or size. Check which fields the program type exposes; data that is not in the context is usually available through a helper instead.',
    docsLink: VERIFIER_DOCS,
  },
  'modified-ctx-pointer': {
    title: 'Context accessed through a moved pointer',
    explanation: 'Context accesses are rewritten by the kernel using the offset written in the load instruction, so the context pointer itself must not be changed first. Access fields with constant offsets (ctx->field, ctx->args[2]) instead of indexing through a variable.',
    docsLink: VERIFIER_DOCS,
  },
  'uninitialized-register': {
    title: 'Register read before it holds a value',
    explanation: 'The instruction reads a register that has no value on this path: R1-R5 are cleared by every call, and R0 is undefined until something sets it. In C this usually comes from inline assembly or from a function that does not return a value on every path.',
    docsLink: VERIFIER_DOCS,
  },
  'uninitialized-stack-read': {
    title: 'Stack memory read before it is written',
    explanation: 'The program reads bytes of the stack that were never written on this path, such as an uninitialised local, a struct with padding, or a field set only inside an if. Initialise the variable where it is declared (for example `= {}`) so every byte has a value.',
    docsLink: VERIFIER_DOCS,
  },
  'packet-out-of-bounds': {
    title: 'Packet access beyond the checked length',
    explanation: 'There is a bounds check against data_end, but it covers fewer bytes than this access needs (the message shows how many bytes were proven with r=). Extend the check to the end of the header being read before touching it.',
    docsLink: VERIFIER_DOCS,
  },
  'unchecked-packet-pointer': {
    title: 'Packet read without a bounds check',
    explanation: 'Before a program may read packet data through data, it has to compare the pointer plus the size it wants to read against data_end, so the verifier knows those bytes exist. Add `if ((void *)(hdr + 1) > data_end) return ...;` before the first access.',
    docsLink: VERIFIER_DOCS,
  },
  'misaligned-access': {
    title: 'Misaligned memory access',
    explanation: 'The verifier requires this access to be aligned to its size: stack accesses always, other memory on architectures without fast unaligned access or under strict alignment. Access the data at a naturally aligned offset, or copy it with a byte-wise helper.',
    docsLink: VERIFIER_DOCS,
  },
  'return-value-out-of-range': {
    title: 'Return value not allowed for this program type',
    explanation: 'Some program types give their return value a fixed meaning and accept only a range of values (cgroup programs 0 or 1, for example). The verifier found a path that may return something outside that range; return one of the allowed constants on every path.',
    docsLink: VERIFIER_DOCS,
  },
  'invalid-helper-arg': {
    title: 'Wrong kind of argument passed to a helper',
    explanation: 'The helper expects a particular kind of pointer in this argument (a map, a stack buffer, a context, ...), and the verifier sees something else there, such as a plain number or a pointer that may be NULL. Pass the object directly (for maps, `&map_name`) so the verifier can tell what it is.',
    docsLink: HELPERS_DOCS,
  },
  'helper-size-unbounded': {
    title: 'Size argument without bounds',
    explanation: 'A helper that reads or writes memory got a size that the verifier cannot bound, or that may be zero or negative, so it cannot prove the buffer is large enough. Check the size right before the call, for example `if (len > sizeof(buf)) return 0;`, using an unsigned variable.',
    docsLink: HELPERS_DOCS,
  },
  'write-to-read-only': {
    title: 'Write to read-only memory',
    explanation: 'The program writes to memory that it may only read: a map created with BPF_F_RDONLY_PROG, the .rodata section (const globals), or context or packet data this program type may not change. Keep writable state in a normal map or global.',
    docsLink: VERIFIER_DOCS,
  },
  'ptr-arithmetic-prohibited': {
    title: 'Arithmetic on a pointer that must not move',
    explanation: 'Some pointers may only be compared or passed along, never changed: data_end, map pointers, sockets and similar objects. Move the other operand instead; for packet checks, add the size to data and compare the result with data_end.',
    docsLink: VERIFIER_DOCS,
  },
  'invalid-func-call': {
    title: 'Call to an unknown function',
    explanation: 'The program calls a helper or kernel function this kernel does not know, often because the program was built for a newer kernel. Check that the helper exists on the target kernel, or guard the call with a CO-RE feature check.',
    docsLink: HELPERS_DOCS,
  },
  'dynptr-misuse': {
    title: 'Dynamic pointer used incorrectly',
    explanation: 'A bpf_dynptr has to be initialised by a helper or kfunc (such as bpf_ringbuf_reserve_dynptr()) before it is read, written or passed on, and it must be passed by address, on the stack, at a constant offset. Initialise it on every path before this use.',
    docsLink: 'https://docs.kernel.org/bpf/kfuncs.html',
  },
  'sleepable-helper': {
    title: 'Helper that may sleep in a program that may not',
    explanation: 'This helper can fault in user memory and therefore sleep, which only sleepable programs (sections ending in ".s", for the program types that support them) may do. Use the non-sleeping variant, such as bpf_probe_read_user() instead of bpf_copy_from_user(), or make the program sleepable.',
    docsLink: HELPERS_DOCS,
  },
  'call-stack-too-deep': {
    title: 'Too many nested function calls',
    explanation: 'BPF allows eight nested function frames at most, and this chain of calls needs more. Let the compiler inline some of the functions (static inline or __always_inline) or flatten the call chain.',
    docsLink: VERIFIER_DOCS,
  },
  'spin-lock-misuse': {
    title: 'Invalid use of bpf_spin_lock',
    explanation: 'While a bpf_spin_lock is held the program may not call helpers or functions (other than the unlock), and it must release the lock on every path before returning. Do the calls before taking the lock, and keep the locked region to plain loads and stores.',
    docsLink: VERIFIER_DOCS,
  },
  'invalid-control-flow': {
    title: 'Invalid control flow',
    explanation: 'Before simulating anything the kernel checks the program\'s control-flow graph: every instruction must be reachable, jumps must stay inside the program, and the last instruction must be an exit or a jump. Such errors usually come from hand-written assembly.',
    docsLink: VERIFIER_DOCS,
  },
  'variable-stack-access': {
    title: 'Stack accessed at an offset known only at run time',
    explanation: 'The offset into a stack buffer depends on a value the verifier only knows as a range. Programs without CAP_PERFMON may not do this at all (it could be abused under speculative execution); for the others every byte the range can reach must have been written first. Initialise the whole buffer, or index a map value (a per-CPU array entry) instead of a local array.',
    docsLink: VERIFIER_DOCS,
  },
  'invalid-global-func-args': {
    title: 'Call does not match the global function\'s argument types',
    explanation: 'A global (non-static) function is verified once, on its own, assuming only what its prototype says; every call must then pass arguments of those types (a pointer to enough readable memory, the context, a number). The line before this message says which argument is wrong. Pass a matching argument, or make the function `static` so it is verified with each caller\'s real arguments.',
    docsLink: 'https://docs.kernel.org/bpf/verifier.html',
  },
  'pointer-leak': {
    title: 'Kernel address would leave the program',
    explanation: 'Without CAP_PERFMON (or CAP_SYS_ADMIN) a program may not let a kernel address reach user space: not by storing a pointer into a map, returning it, or comparing it with anything but NULL (a comparison reveals its bits). Store or compare the data the pointer points to, not the pointer, or load the program with CAP_PERFMON.',
    docsLink: VERIFIER_DOCS,
  },
  'map-type-not-allowed': {
    title: 'Helper cannot be used with this map type',
    explanation: 'Each map type works with its own set of helpers: a program array only with bpf_tail_call(), a ring buffer only with the bpf_ringbuf_* helpers, a perf event array with bpf_perf_event_output(), and so on. The message names the map type number and the helper; use the helper that goes with the map, or declare the map with the type the helper expects.',
    docsLink: 'https://docs.kernel.org/bpf/maps.html',
  },
  'btf-access-out-of-bounds': {
    title: 'Read outside the kernel struct the pointer points to',
    explanation: 'The verifier knows this pointer\'s type from the kernel\'s BTF and allows reads only inside that struct: here the offset is past its end or before its start. This usually comes from a cast to the wrong struct or from pointer arithmetic; to reach the struct that contains this one, use bpf_core_cast() or a probe-read helper rather than subtracting from the pointer.',
    docsLink: VERIFIER_DOCS,
  },
  'variable-ctx-access': {
    title: 'Context field chosen at run time',
    explanation: 'The kernel rewrites each access to the program\'s context into a load from the real kernel object, which it can only do when the offset is a constant. Read the fields with constant offsets (a switch over the index, or one read per field) instead of indexing the context with a variable.',
    docsLink: VERIFIER_DOCS,
  },
  'release-unreferenced': {
    title: 'Releasing something the program does not own',
    explanation: 'A release function (bpf_task_release(), bpf_sk_release(), bpf_cgroup_release(), ...) gives back a reference the program acquired earlier. This pointer was only borrowed (from the context or a helper such as bpf_get_current_task_btf()), or was already released, so there is nothing to give back. Release only what an acquire function returned, once.',
    docsLink: 'https://docs.kernel.org/bpf/kfuncs.html',
  },
  'kfunc-arg-type': {
    title: 'Wrong argument type for a kernel function',
    explanation: 'Kernel functions (kfuncs) check each argument against their BTF prototype: a pointer must point to the exact kernel struct they expect and be trusted (from the context, an acquire function or an RCU section), and memory arguments need a size the verifier can see. The message names the argument; pass a value of the expected type rather than casting another pointer to it.',
    docsLink: 'https://docs.kernel.org/bpf/kfuncs.html',
  },
  'rcu-lock-misuse': {
    title: 'RCU read-side section not balanced',
    explanation: 'bpf_rcu_read_lock() opens a section in which the program may not sleep, and every path must close it with bpf_rcu_read_unlock() before returning, with no nesting and no unlock without a lock. Put the unlock before each return inside the section (or restructure so there is a single exit).',
    docsLink: 'https://docs.kernel.org/bpf/kfuncs.html',
  },
  'unsupported-instruction': {
    title: 'Instruction this kernel does not know',
    explanation: 'The compiler emitted an instruction newer than this kernel: atomic operations that return the old value (__sync_fetch_and_add() whose result is used) need 5.12, and the -mcpu=v4 instructions (sign-extending loads, 32-bit jumps with long offsets) need 6.6. Do not use the returned value, compile with an older -mcpu (for example -mcpu=v3), or require a newer kernel.',
    docsLink: 'https://docs.kernel.org/bpf/standardization/instruction-set.html',
  },
  unknown: {
    title: 'Rejected by the verifier',
    explanation: 'The verifier rejected the program with a message this extension does not recognise yet. The message and the instructions leading to it show which check failed.',
    docsLink: VERIFIER_DOCS,
  },
};

/** Helpers that hand out a reference, and how to give it back. */
const RELEASE_FOR: Record<string, (variable: string) => { releaseFunction: string; statement: string }> = {
  bpf_ringbuf_reserve: (v) => ({ releaseFunction: 'bpf_ringbuf_discard', statement: `bpf_ringbuf_discard(${v}, 0);` }),
  bpf_ringbuf_reserve_dynptr: (v) => ({ releaseFunction: 'bpf_ringbuf_discard_dynptr', statement: `bpf_ringbuf_discard_dynptr(${v}, 0);` }),
  bpf_sk_lookup_tcp: (v) => ({ releaseFunction: 'bpf_sk_release', statement: `bpf_sk_release(${v});` }),
  bpf_sk_lookup_udp: (v) => ({ releaseFunction: 'bpf_sk_release', statement: `bpf_sk_release(${v});` }),
  bpf_skc_lookup_tcp: (v) => ({ releaseFunction: 'bpf_sk_release', statement: `bpf_sk_release(${v});` }),
  bpf_task_acquire: (v) => ({ releaseFunction: 'bpf_task_release', statement: `bpf_task_release(${v});` }),
  bpf_task_from_pid: (v) => ({ releaseFunction: 'bpf_task_release', statement: `bpf_task_release(${v});` }),
  bpf_cgroup_acquire: (v) => ({ releaseFunction: 'bpf_cgroup_release', statement: `bpf_cgroup_release(${v});` }),
  bpf_cgroup_from_id: (v) => ({ releaseFunction: 'bpf_cgroup_release', statement: `bpf_cgroup_release(${v});` }),
  bpf_obj_new_impl: (v) => ({ releaseFunction: 'bpf_obj_drop', statement: `bpf_obj_drop(${v});` }),
  bpf_cpumask_create: (v) => ({ releaseFunction: 'bpf_cpumask_release', statement: `bpf_cpumask_release(${v});` }),
};

/** Replacements for sleepable helpers that work in any program (same argument order). */
const NON_SLEEPING: Record<string, string> = {
  bpf_copy_from_user: 'bpf_probe_read_user',
};

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';

/** `type *name = call(` or `name = call(`: the variable a call's result is stored in. */
function assignedVariable(text: string | undefined, call: string): string | undefined {
  if (!text) return undefined;
  const at = text.indexOf(call + '(');
  if (at < 0) return undefined;
  const before = text.slice(0, at).replace(/\s*\(\s*[^()]*\)\s*$/, ''); // drop a cast: `(struct x *)`
  const match = new RegExp(`(${IDENT})\\s*=\\s*$`).exec(before);
  return match ? match[1] : undefined;
}

/** The first identifier the line dereferences (`p->x`, `*p`, `p[i]`). */
function dereferencedVariable(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const arrow = new RegExp(`(${IDENT})\\s*->`).exec(text);
  const star = new RegExp(`\\*\\s*(${IDENT})\\b`).exec(text);
  const index = new RegExp(`(${IDENT})\\s*\\[`).exec(text);
  const candidates = [arrow, star, index].filter((m): m is RegExpExecArray => m !== null).sort((a, b) => a.index - b.index);
  return candidates[0]?.[1];
}

/** The expression inside the first `[...]` of the line when it is a plain identifier. */
function indexVariable(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const match = new RegExp(`\\[\\s*(${IDENT})\\s*\\]`).exec(text);
  return match ? match[1] : undefined;
}

/** Splits the arguments of the first call to `name` on the line at top-level commas. */
function callArguments(text: string | undefined, name: string): string[] | undefined {
  if (!text) return undefined;
  const at = text.indexOf(name + '(');
  if (at < 0) return undefined;
  const args: string[] = [];
  let depth = 0;
  let start = at + name.length + 1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) { args.push(text.slice(start, i).trim()); return args; }
      depth--;
    } else if (c === ',' && depth === 0) { args.push(text.slice(start, i).trim()); start = i + 1; }
  }
  return undefined;
}

function lineOf(source: SourceLocation | undefined): number | undefined {
  return source && source.line !== undefined && source.line > 0 && source.confidence !== 'uncertain' ? source.line : undefined;
}

function quickFix(report: VerifierReport): QuickFix | undefined {
  const line = lineOf(report.source);
  const at = line !== undefined ? { line } : {};
  const failingText = report.source?.confidence === 'uncertain' ? undefined : report.source?.text;
  const defined = report.related.find((r) => r.role === 'register-defined');
  const facts = report.facts;
  switch (report.kind) {
    case 'null-deref-map-value':
    case 'null-deref-pointer': {
      const call = defined?.text && /^call (\w+)#/.exec(defined.text)?.[1];
      const fromDefinition = call ? assignedVariable(defined?.source?.text, call) : undefined;
      const variable = fromDefinition ?? dereferencedVariable(failingText);
      if (!variable) return undefined;
      const insertAfterLine = fromDefinition ? lineOf(defined?.source) : undefined;
      return {
        kind: 'insert-null-check', title: `Check '${variable}' for NULL before using it`, ...at, variable,
        ...(facts.register ? { register: facts.register } : {}),
        ...(insertAfterLine !== undefined ? { insertAfterLine } : {}),
        statement: `if (!${variable})\n\treturn 0;`,
      };
    }
    case 'raw-pointer-deref': {
      const pointer = dereferencedVariable(failingText);
      // Syscall arguments in a tracepoint context are user addresses; anything else we assume is kernel memory.
      const origin = defined?.source?.text ?? '';
      const user = /args\[|__user|user/.test(origin) || /filename|buf|path|argv|user/.test(pointer ?? '');
      const helper = user ? 'bpf_probe_read_user' : 'bpf_probe_read_kernel';
      return {
        kind: 'use-probe-read', title: `Read the memory with ${helper}()`, ...at, ...(pointer ? { pointer } : {}),
        helper, alternatives: user ? ['bpf_probe_read_user_str', 'bpf_probe_read_kernel'] : ['BPF_CORE_READ', 'bpf_probe_read_user'],
      };
    }
    case 'out-of-bounds-map-value':
    case 'unbounded-variable-offset':
    case 'negative-offset': {
      const variable = indexVariable(failingText);
      const valueSize = facts.valueSize ?? mapValueSize(report);
      const elementSize = facts.accessSize ?? accessSizeOf(report.failingInstruction?.text);
      const upperBound = valueSize !== undefined && elementSize ? Math.floor(valueSize / elementSize) : undefined;
      const negative = report.kind === 'negative-offset';
      // barrier_var() (bpf_helpers.h) pins the variable to one register: without it clang may test a
      // zero-extended copy and index with a fresh one, and the verifier then loses the bound.
      const condition = negative
        ? `${variable} < 0${upperBound !== undefined ? ` || ${variable} >= ${upperBound}` : ''}`
        : `${variable} >= ${upperBound}`;
      const statement = variable && (upperBound !== undefined || negative)
        ? `barrier_var(${variable});\nif (${condition})\n\treturn 0;`
        : undefined;
      return {
        kind: 'add-bounds-check', title: variable ? `Check '${variable}' against the array size` : 'Add a bounds check', ...at,
        target: variable ? 'index' : 'map-value', ...(variable ? { variable } : {}),
        ...(upperBound !== undefined ? { upperBound } : {}), ...(negative ? { lowerBound: 0 } : {}),
        ...(statement ? { statement } : {}),
      };
    }
    case 'unchecked-packet-pointer':
    case 'packet-out-of-bounds': {
      const variable = dereferencedVariable(failingText);
      const bytesNeeded = facts.offset !== undefined && facts.accessSize !== undefined ? facts.offset + facts.accessSize : undefined;
      return {
        kind: 'add-bounds-check', title: variable ? `Check '${variable}' against data_end` : 'Check the packet length against data_end', ...at,
        target: 'packet', ...(variable ? { variable } : {}), ...(bytesNeeded !== undefined ? { bytesNeeded } : {}),
        ...(variable ? { statement: `if ((void *)(${variable} + 1) > data_end)\n\treturn XDP_PASS;` } : {}),
      };
    }
    case 'helper-size-unbounded': {
      const call = report.failingInstruction?.text && /^call (\w+)#/.exec(report.failingInstruction.text)?.[1];
      const argIndex = facts.register ? Number(facts.register.slice(1)) - 1 : -1;
      const args = call ? callArguments(failingText, call) : undefined;
      const variable = args && argIndex >= 0 ? args[argIndex] : undefined;
      const buffer = args && argIndex >= 1 ? args[argIndex - 1] : undefined;
      const simple = variable && new RegExp(`^${IDENT}$`).test(variable) ? variable : undefined;
      return {
        kind: 'add-bounds-check', title: simple ? `Check '${simple}' against the buffer size` : 'Check the size before the call', ...at,
        target: 'helper-size', ...(simple ? { variable: simple } : {}),
        // Leaving early rather than clamping: a clamped value is a second definition, and clang
        // may pass the unclamped register to the call.
        ...(simple && buffer && new RegExp(`^${IDENT}$`).test(buffer) ? { statement: `if (${simple} > sizeof(${buffer}))\n\treturn 0;` } : {}),
      };
    }
    case 'unbounded-loop':
    case 'too-many-instructions':
      return { kind: 'use-bpf-loop', title: 'Move the loop body into a bpf_loop() callback', ...at };
    case 'stack-too-large':
      return {
        kind: 'move-to-percpu-array', title: 'Move large local buffers into a per-CPU array map', ...at,
        ...(facts.stackBytes !== undefined ? { stackBytes: facts.stackBytes } : {}), limit: 512,
      };
    case 'unreleased-reference': {
      const acquired = report.related.find((r) => r.role === 'reference-acquired');
      const acquiredBy = acquired?.text && /^call (\w+)#/.exec(acquired.text)?.[1];
      const release = acquiredBy ? RELEASE_FOR[acquiredBy] : undefined;
      if (!acquiredBy || !release) return undefined;
      const variable = assignedVariable(acquired?.source?.text, acquiredBy);
      const acquireLine = lineOf(acquired?.source);
      const described = release(variable ?? '/* reference */');
      return {
        kind: 'release-reference', title: `Call ${described.releaseFunction}() before returning`, ...at,
        ...(variable ? { variable, statement: described.statement } : {}), acquiredBy, releaseFunction: described.releaseFunction,
        ...(acquireLine !== undefined ? { acquireLine } : {}),
      };
    }
    case 'gpl-only-helper':
      return { kind: 'set-gpl-license', title: 'Declare a GPL license', license: 'GPL', statement: 'char LICENSE[] SEC("license") = "GPL";' };
    case 'sleepable-helper': {
      const call = report.failingInstruction?.text && /^call (\w+)#/.exec(report.failingInstruction.text)?.[1];
      const replacement = call ? NON_SLEEPING[call] : undefined;
      return call && replacement ? { kind: 'replace-helper', title: `Use ${replacement}() instead of ${call}()`, ...at, from: call, to: replacement } : undefined;
    }
    default:
      return undefined;
  }
}

function mapValueSize(report: VerifierReport): number | undefined {
  const register = report.facts.register ? report.registers[report.facts.register] : undefined;
  const vs = register?.fields.vs;
  return vs !== undefined && /^\d+$/.test(vs) ? Number(vs) : undefined;
}

function accessSizeOf(text: string | undefined): number | undefined {
  const match = text ? /\*\((?:u|s)(8|16|32|64) \*\)/.exec(text) : null;
  return match ? Number(match[1]) / 8 : undefined;
}

/**
 * Explains a rejection. Pass the whole report to get a quick fix too (it needs the source lines
 * and facts the parser found); a bare kind gives the explanation only.
 */
export function explainVerifierError(input: VerifierErrorKind | VerifierReport | string): VerifierExplanation {
  if (typeof input === 'string') {
    const kind = (input in KIND_INFO ? input : 'unknown') as VerifierErrorKind;
    return { kind, ...KIND_INFO[kind] };
  }
  const kind = input.kind in KIND_INFO ? input.kind : 'unknown';
  let fix: QuickFix | undefined;
  try {
    fix = input.verdict === 'rejected' ? quickFix(input) : undefined;
  } catch {
    fix = undefined; // An odd source line must never cost the user the explanation.
  }
  return { kind, ...KIND_INFO[kind], ...kernelWording(input), ...(fix ? { fix } : {}) };
}

/**
 * Explanations that depend on how this kernel worded the message: kernels before 6.x say
 * `unknown func bpf_get_current_comm#16` for a helper they have but do not offer to this program
 * type, which reads as "no such function" and is not what it means.
 */
function kernelWording(report: VerifierReport): Partial<KindInfo> {
  if (report.kind !== 'helper-not-allowed') return {};
  const unknown = /^unknown func (\w+)#(\d+)/m.exec(report.message);
  if (!unknown) return {};
  return {
    title: `${unknown[1]} is not allowed for this program type on this kernel`,
    explanation: `This kernel knows ${unknown[1]} (helper #${unknown[2]}) but does not offer it to this program type; it words that as "unknown func". Newer kernels offer more helpers to more program types, so the same program may load on a newer kernel. Use a helper this program type has on this kernel, or require a kernel that allows it.`,
  };
}
