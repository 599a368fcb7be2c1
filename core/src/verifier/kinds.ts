/**
 * The kinds of verifier rejection we recognise, and the rules that map the kernel's messages to
 * them. The ids are stable: the corpus in test/fixtures/verifier/ is named after them and the
 * server uses them as diagnostic codes. Patterns cover the 6.x wording and the older spellings we
 * know of; every pattern is anchored or literal-led, so matching stays linear in the line length.
 */

export const VERIFIER_ERROR_KINDS = [
  'null-deref-map-value',
  'null-deref-pointer',
  'raw-pointer-deref',
  'invalid-mem-access',
  'out-of-bounds-map-value',
  'unbounded-variable-offset',
  'negative-offset',
  'unbounded-loop',
  'too-many-instructions',
  'stack-too-large',
  'stack-out-of-bounds',
  'unreleased-reference',
  'helper-not-allowed',
  'kfunc-not-allowed',
  'gpl-only-helper',
  'invalid-ctx-access',
  'modified-ctx-pointer',
  'uninitialized-register',
  'uninitialized-stack-read',
  'packet-out-of-bounds',
  'unchecked-packet-pointer',
  'misaligned-access',
  'return-value-out-of-range',
  'invalid-helper-arg',
  'helper-size-unbounded',
  'write-to-read-only',
  'ptr-arithmetic-prohibited',
  'invalid-func-call',
  'dynptr-misuse',
  'sleepable-helper',
  'call-stack-too-deep',
  'spin-lock-misuse',
  'invalid-control-flow',
  'variable-stack-access',
  'invalid-global-func-args',
  'pointer-leak',
  'map-type-not-allowed',
  'btf-access-out-of-bounds',
  'variable-ctx-access',
  'release-unreferenced',
  'kfunc-arg-type',
  'rcu-lock-misuse',
  'unsupported-instruction',
  'unknown',
] as const;

export type VerifierErrorKind = (typeof VERIFIER_ERROR_KINDS)[number];

/** Facts pulled out of the message, for explanations and quick fixes. */
export interface MessageFacts {
  /** The register the message names (`R0 invalid mem access ...` → "R0"). */
  register?: string;
  /** The type the verifier saw in that register (`'map_value_or_null'`, `type=scalar`). */
  registerType?: string;
  expectedType?: string;
  helper?: string;
  helperId?: number;
  kfunc?: string;
  valueSize?: number;
  offset?: number;
  accessSize?: number;
  /** Packet bytes proven readable when the access failed (`r=14`). */
  packetRange?: number;
  referenceId?: number;
  /** Instruction the message points at (`alloc_insn=4`, `at insn 3`, `unreachable insn 2`). */
  insn?: number;
  /** A second instruction the message names (`jump out of range from insn 5 to 90` → 90). */
  otherInsn?: number;
  frames?: number;
  stackBytes?: number;
  calls?: number;
  allowedRange?: [string, string];
  insnLimit?: number;
}

/** What the classifier may look at besides the message. */
export interface ClassifyContext {
  /** Where the value in a register named by the message came from, when the parser traced it. */
  originOf(register: string): RegisterOrigin | undefined;
}

export type RegisterOrigin =
  | { kind: 'load'; insn: number; baseType: string; baseRegister: string }
  | { kind: 'call'; insn: number; name: string }
  | { kind: 'const'; insn: number }
  | { kind: 'other'; insn: number };

/** Helpers whose result is a kernel address the program may not dereference directly. */
const ADDRESS_RETURNING_HELPERS = new Set(['bpf_get_current_task']);

/** Types whose dereference the verifier rejects because they may be NULL. */
function isMaybeNull(type: string): boolean {
  return type.endsWith('_or_null') || type.startsWith('ptr_or_null_') || type.includes('_or_null_');
}

interface Rule {
  kind: VerifierErrorKind | ((match: RegExpExecArray, context: ClassifyContext) => VerifierErrorKind);
  pattern: RegExp;
  facts?: (match: RegExpExecArray) => MessageFacts;
}

const num = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
};

/** Ordered: the first rule whose pattern matches any message line wins. */
const RULES: Rule[] = [
  // Listed first: the kernel prints an `R1 type=... expected=...` or `arg#0 ...` line before these
  // summary lines, and the summary says what the program did wrong.
  { pattern: /^Caller passes invalid args into (func#\d+)(?: \('(\w+)'\))?/, kind: 'invalid-global-func-args', facts: (m) => (m[2] ? { kfunc: m[2] } : {}) },
  {
    // 6.x wording first, then 5.x `invalid indirect read from stack R2 var_off (0x0; 0x7)+0 size 8`.
    pattern: /^(?:(R\d+) variable stack access prohibited for !root|invalid (?:indirect |variable-offset )?(?:read from|write to|access to) stack (R\d+) var_off)/,
    kind: 'variable-stack-access',
    facts: (m) => ({ register: m[1] ?? m[2] }),
  },
  { pattern: /^(R\d+) (?:leaks addr|pointer comparison prohibited)/, kind: 'pointer-leak', facts: (m) => ({ register: m[1] }) },
  { pattern: /^(?:leaking pointer from stack off|invalid return type \d+ of func|cannot return stack pointer to the caller)/, kind: 'pointer-leak' },
  { pattern: /^cannot pass map_type (\d+) into func (\w+)#(\d+)/, kind: 'map-type-not-allowed', facts: (m) => ({ helper: m[2], helperId: num(m[3]) }) },
  { pattern: /^(?:access beyond struct \S+ at off (-?\d+) size (\d+)|(R\d+) is ptr_\S+ invalid negative access: off=(-?\d+))/, kind: 'btf-access-out-of-bounds', facts: (m) => ({ offset: num(m[1] ?? m[4]), ...(m[2] ? { accessSize: num(m[2]) } : {}), ...(m[3] ? { register: m[3] } : {}) }) },
  { pattern: /^variable ctx access var_off=\S+(?: \S+)? disallowed/, kind: 'variable-ctx-access' },
  { pattern: /^(?:(R\d+) must be referenced when passed to release function|release kernel function (\S+) expects refcounted|(R\d+) must be referenced or trusted|arg \d+ is an unacquired reference)/, kind: 'release-unreferenced', facts: (m) => ({ ...(m[1] || m[3] ? { register: m[1] ?? m[3] } : {}), ...(m[2] ? { kfunc: m[2] } : {}) }) },
  { pattern: /^program must be sleepable to call sleepable kfunc (\S+)/, kind: 'sleepable-helper', facts: (m) => ({ kfunc: m[1] }) },
  {
    pattern: /(?:rcu_read_lock|rcu_read_unlock|rcu read lock)/,
    kind: (m) => (/sleepable/.test(m.input) ? 'sleepable-helper' : 'rcu-lock-misuse'),
  },
  // 5.x: a global function may take only the context, scalars (and later, sized memory).
  { pattern: /^Arg#\d+ type \S+ in (\w+)\(\) is not supported yet/, kind: 'invalid-global-func-args', facts: (m) => ({ kfunc: m[1] }) },
  // Instructions newer than the kernel (atomic fetch ops before 5.12, -mcpu=v4 before 6.6).
  { pattern: /^(?:BPF_(?:STX|ST|LDX|LD|ALU|ALU64|JMP|JMP32|XADD|ATOMIC) uses reserved fields|unknown opcode [0-9a-f]+|invalid BPF_(?:ALU|LD_IMM|ATOMIC) opcode|BPF_ATOMIC uses invalid atomic opcode)/, kind: 'unsupported-instruction' },
  { pattern: /^frame pointer is read only/, kind: 'write-to-read-only', facts: () => ({ register: 'R10' }) },
  // kfunc argument checks (the helper ones read `R1 type=... expected=...`, matched further down).
  { pattern: /^(?:kernel function (\S+) args#(\d+)|arg#\d+ pointer type .* must point to|Unrecognized arg#\d+ type|arg#\d+ expected pointer to (?:btf|an? )|(?:R\d+|arg#\d+) (?:is neither owning or non-owning ref|must be a rcu pointer|must have zero offset when passed to release func))/, kind: 'kfunc-arg-type', facts: (m) => (m[1] ? { kfunc: m[1] } : {}) },
  // 5.x names the offset only: `invalid stack off=-520 size=8`.
  { pattern: /^invalid stack off=(-?\d+) size=(\d+)/, kind: (m) => (Number(m[1]) < -512 || Number(m[1]) >= 0 ? 'stack-out-of-bounds' : 'uninitialized-stack-read'), facts: (m) => ({ offset: num(m[1]), accessSize: num(m[2]) }) },
  {
    pattern: /^(R\d+) invalid mem access '([^']*)'/,
    kind: (m, context) => {
      const type = m[2];
      if (type.startsWith('map_value_or_null')) return 'null-deref-map-value';
      if (isMaybeNull(type)) return 'null-deref-pointer';
      if (type === 'scalar' || type === 'inv') {
        const origin = context.originOf(m[1]);
        if (origin?.kind === 'load' && origin.baseType === 'ctx') return 'raw-pointer-deref';
        if (origin?.kind === 'call' && ADDRESS_RETURNING_HELPERS.has(origin.name)) return 'raw-pointer-deref';
      }
      return 'invalid-mem-access';
    },
    facts: (m) => ({ register: m[1], registerType: m[2] }),
  },
  {
    pattern: /^Possibly NULL pointer passed to (?:helper|trusted) arg(\d+)/,
    kind: 'null-deref-pointer',
    facts: (m) => ({ register: `R${m[1]}` }),
  },
  {
    pattern: /^invalid access to map value, value_size=(\d+) off=(-?\d+) size=(\d+)/,
    kind: 'out-of-bounds-map-value',
    facts: (m) => ({ valueSize: num(m[1]), offset: num(m[2]), accessSize: num(m[3]) }),
  },
  { pattern: /^(R\d+) min value is negative, either use unsigned index/, kind: 'negative-offset', facts: (m) => ({ register: m[1] }) },
  { pattern: /^(R\d+) min value is negative, either use unsigned or 'var &= const'/, kind: 'helper-size-unbounded', facts: (m) => ({ register: m[1] }) },
  { pattern: /^(R\d+) unbounded memory access, use 'var &= const' or 'if \(var < const\)'/, kind: 'helper-size-unbounded', facts: (m) => ({ register: m[1] }) },
  { pattern: /^(R\d+) unbounded memory access/, kind: 'unbounded-variable-offset', facts: (m) => ({ register: m[1] }) },
  { pattern: /^math between (\w+) pointer and register with unbounded min value/, kind: 'unbounded-variable-offset' },
  { pattern: /^value (-?\d+) makes (\w+) pointer be out of bounds/, kind: 'unbounded-variable-offset', facts: (m) => ({ offset: num(m[1]) }) },
  { pattern: /^(R\d+) (?:min|max) value is outside of the (?:allowed|array range|allowed memory range)/, kind: 'out-of-bounds-map-value', facts: (m) => ({ register: m[1] }) },
  { pattern: /^infinite loop detected at insn (\d+)/, kind: 'unbounded-loop', facts: (m) => ({ insn: num(m[1]) }) },
  { pattern: /^back-edge from insn (\d+) to (\d+)/, kind: 'unbounded-loop', facts: (m) => ({ insn: num(m[1]), otherInsn: num(m[2]) }) },
  { pattern: /^BPF program is too large\. Processed (\d+) insn/, kind: 'too-many-instructions', facts: (m) => ({ insnLimit: num(m[1]) }) },
  { pattern: /^The sequence of (\d+) jumps is too complex/, kind: 'too-many-instructions' },
  { pattern: /^combined stack size of (\d+) calls is (\d+)\. Too large/, kind: 'stack-too-large', facts: (m) => ({ calls: num(m[1]), stackBytes: num(m[2]) }) },
  { pattern: /^stack size (\d+)\(extra \d+\) is too large/, kind: 'stack-too-large', facts: (m) => ({ stackBytes: num(m[1]) }) },
  {
    pattern: /^invalid (?:write to|read from|indirect read from|indirect access to) stack (?:(R\d+) )?off[= ](-?\d+)/,
    kind: (m) => (Number(m[2]) < -512 || Number(m[2]) >= 0 ? 'stack-out-of-bounds' : 'uninitialized-stack-read'),
    facts: (m) => ({ ...(m[1] ? { register: m[1] } : {}), offset: num(m[2]) }),
  },
  { pattern: /^invalid (?:stack|variable-offset (?:read from|write to)) (?:type )?(R\d+)/, kind: 'stack-out-of-bounds', facts: (m) => ({ register: m[1] }) },
  { pattern: /^invalid size of register (?:fill|spill)/, kind: 'uninitialized-stack-read' },
  { pattern: /^Unreleased reference id=(\d+) alloc_insn=(\d+)/, kind: 'unreleased-reference', facts: (m) => ({ referenceId: num(m[1]), insn: num(m[2]) }) },
  { pattern: /would lead to reference leak$/, kind: 'unreleased-reference' },
  { pattern: /^program of this type cannot use helper (\w+)#(\d+)/, kind: 'helper-not-allowed', facts: (m) => ({ helper: m[1], helperId: num(m[2]) }) },
  { pattern: /^calling kernel function (\S+) is not allowed/, kind: 'kfunc-not-allowed', facts: (m) => ({ kfunc: m[1] }) },
  { pattern: /^cannot call GPL-restricted function from non-GPL compatible program/, kind: 'gpl-only-helper' },
  // Before 5.x-ish "unknown func bpf_x#N" meant "not for this program type"; "unknown#N" means no such helper.
  { pattern: /^(?:invalid|unknown) func unknown#(\d+)/, kind: 'invalid-func-call', facts: (m) => ({ helperId: num(m[1]) }) },
  { pattern: /^unknown func (\w+)#(\d+)/, kind: 'helper-not-allowed', facts: (m) => ({ helper: m[1], helperId: num(m[2]) }) },
  { pattern: /^invalid func (\w+)#(\d+)/, kind: 'invalid-func-call', facts: (m) => ({ helper: m[1], helperId: num(m[2]) }) },
  { pattern: /^(?:invalid kernel function call not eliminated|kfunc \S+ is not found|calling kernel function is not supported|function calls to other bpf functions are allowed for)/, kind: 'invalid-func-call' },
  { pattern: /^invalid bpf_context access off=(-?\d+) size=(\d+)/, kind: 'invalid-ctx-access', facts: (m) => ({ offset: num(m[1]), accessSize: num(m[2]) }) },
  { pattern: /^dereference of modified ctx ptr (R\d+) off=(-?\d+)/, kind: 'modified-ctx-pointer', facts: (m) => ({ register: m[1], offset: num(m[2]) }) },
  { pattern: /^(R\d+) !read_ok/, kind: 'uninitialized-register', facts: (m) => ({ register: m[1] }) },
  {
    pattern: /^invalid access to packet, off=(-?\d+) size=(\d+), (R\d+)\(id=\d+,off=-?\d+,r=(\d+)\)/,
    kind: (m) => (Number(m[4]) === 0 ? 'unchecked-packet-pointer' : 'packet-out-of-bounds'),
    facts: (m) => ({ offset: num(m[1]), accessSize: num(m[2]), register: m[3], packetRange: num(m[4]) }),
  },
  { pattern: /^(R\d+) offset is outside of the packet/, kind: 'packet-out-of-bounds', facts: (m) => ({ register: m[1] }) },
  { pattern: /^misaligned (?:\w+ )?access off /, kind: 'misaligned-access' },
  { pattern: /^misaligned (?:stack|packet|value|context) access/, kind: 'misaligned-access' },
  {
    pattern: /^At program exit the register R0 (?:has|is) (.*) should have been in [[(]([^,;]+)[,;] ?([^\])]+)[\])]/,
    kind: 'return-value-out-of-range',
    facts: (m) => ({ register: 'R0', allowedRange: [m[2].trim(), m[3].trim()] }),
  },
  { pattern: /^At program exit the register R0 /, kind: 'return-value-out-of-range', facts: () => ({ register: 'R0' }) },
  { pattern: /^(R\d+) type=(\S+) expected=(.*)$/, kind: 'invalid-helper-arg', facts: (m) => ({ register: m[1], registerType: m[2], expectedType: m[3] }) },
  { pattern: /^(R\d+) invalid zero-sized read/, kind: 'helper-size-unbounded', facts: (m) => ({ register: m[1] }) },
  { pattern: /^arg#\d+ (?:expected pointer to|pointer type .* must point to|reference type)/, kind: 'invalid-helper-arg' },
  { pattern: /^(?:write into map forbidden|cannot write into (?:\S+)|only read is supported|the prog does not allow writes to packet data|write to change key (R\d+) not allowed)/, kind: 'write-to-read-only' },
  { pattern: /^(R\d+) pointer arithmetic on (\S+) prohibited/, kind: 'ptr-arithmetic-prohibited', facts: (m) => ({ register: m[1], registerType: m[2] }) },
  { pattern: /^(R\d+) (?:32-bit pointer arithmetic|bitwise operator \S+ on pointer|pointer arithmetic with \S+ operator|pointer \S+ pointer) prohibited/, kind: 'ptr-arithmetic-prohibited', facts: (m) => ({ register: m[1] }) },
  { pattern: /^(R\d+) tried to (?:add|sub) from different (?:maps|pointers)/, kind: 'ptr-arithmetic-prohibited', facts: (m) => ({ register: m[1] }) },
  { pattern: /dynptr/i, kind: 'dynptr-misuse' },
  { pattern: /^(?:helper call might sleep in a non-sleepable prog|sleepable helper \S+ within|kernel func \S+ is sleepable within|program of this type cannot call sleepable|Program of this type cannot call sleepable)/, kind: 'sleepable-helper' },
  { pattern: /^the call stack of (\d+) frames is too deep/, kind: 'call-stack-too-deep', facts: (m) => ({ frames: num(m[1]) }) },
  { pattern: /^(?:function calls are not allowed while holding a lock|bpf_spin_unlock without taking a lock|bpf_spin_unlock of different lock|Locking two bpf_spin_locks are not allowed|BPF_EXIT instruction .*cannot be used inside bpf_spin_lock-ed region|bpf_spin_lock is missing|\S+ cannot be used inside bpf_spin_lock-ed region)/, kind: 'spin-lock-misuse' },
  { pattern: /^unreachable insn (\d+)/, kind: 'invalid-control-flow', facts: (m) => ({ insn: num(m[1]) }) },
  { pattern: /^jump out of range from insn (\d+) to (-?\d+)/, kind: 'invalid-control-flow', facts: (m) => ({ insn: num(m[1]), otherInsn: num(m[2]) }) },
  { pattern: /^(?:last insn is not an exit or jmp|jump into the middle of ldimm64 insn (\d+)|insn (\d+) cannot be called from callback)/, kind: 'invalid-control-flow' },
];

export interface Classification {
  kind: VerifierErrorKind;
  facts: MessageFacts;
  /** The message line the decision was made on. */
  matchedLine?: string;
}

/** Classifies a rejection from its message lines (first matching rule wins over all lines). */
export function classifyMessage(lines: readonly string[], context: ClassifyContext): Classification {
  for (const rule of RULES) {
    for (const line of lines) {
      const match = rule.pattern.exec(line);
      if (!match) continue;
      const kind = typeof rule.kind === 'function' ? rule.kind(match, context) : rule.kind;
      return { kind, facts: rule.facts ? rule.facts(match) : {}, matchedLine: line };
    }
  }
  return { kind: 'unknown', facts: {} };
}
