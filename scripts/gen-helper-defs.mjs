#!/usr/bin/env node
// Generates the BPF helper declarations (bpf-headers/bpf/bpf_helper_defs.h) and the helper catalog
// the language server reads (core/src/helpers/helpers.generated.ts) from the vendored kernel UAPI
// header third_party/linux-uapi/linux/bpf.h (scripts/vendor-uapi-bpf.sh fetches it): helper ids
// come from its __BPF_FUNC_MAPPER list, prototypes and summaries from its helper documentation.
//
//   node scripts/gen-helper-defs.mjs            write both files
//   node scripts/gen-helper-defs.mjs --check    exit 1 when the committed files are stale, or the
//                                               vendored header is not the one PROVENANCE pins (CI)
//   --source <bpf.h>                            read another UAPI header (tests, other kernels)
//   --out-dir <dir>                             write both files into <dir> instead (tests)
//
// The output names its source by content (sha256), never by the package that installed it: a
// Debian point release that rebuilds the same header must not make the files stale (issue #9).
// It holds no timestamps either, so --check can compare bytes exactly.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const GENERATOR = 'scripts/gen-helper-defs.mjs';
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const committedOutputs = {
  header: path.join(root, 'bpf-headers/bpf/bpf_helper_defs.h'),
  catalog: path.join(root, 'core/src/helpers/helpers.generated.ts'),
};
const VENDORED = 'third_party/linux-uapi/linux/bpf.h';
const PROVENANCE = 'third_party/linux-uapi/PROVENANCE';
const SUMMARY_LIMIT = 200;

/** Kernel-internal types the prototypes use, as a BPF program sees them. */
const PROGRAM_VIEW_TYPES = new Map([
  ['u8', '__u8'], ['u16', '__u16'], ['u32', '__u32'], ['u64', '__u64'],
  ['s8', '__s8'], ['s16', '__s16'], ['s32', '__s32'], ['s64', '__s64'],
  // size_t is the machine word on every 64-bit target; spelled out so the header needs no stddef.h.
  ['size_t', 'unsigned long'],
  // Programs pass the address of their map definition, whose type is an anonymous struct.
  ['struct bpf_map', 'void'],
  // Contexts: the kernel object behind the helper versus the UAPI mirror a program receives.
  ['struct sk_buff', 'struct __sk_buff'],
  ['struct xdp_buff', 'struct xdp_md'],
  ['struct sk_msg_buff', 'struct sk_msg_md'],
]);

function fail(message) {
  process.stderr.write(`${GENERATOR}: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { check: false, source: path.join(root, VENDORED), outDir: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') options.check = true;
    else if (argv[i] === '--source' && argv[i + 1]) options.source = argv[++i];
    else if (argv[i] === '--out-dir' && argv[i + 1]) options.outDir = argv[++i];
    else fail(`unknown argument ${argv[i]} (expected --check, --source <bpf.h> or --out-dir <dir>)`);
  }
  return options;
}

/** The `key: value` lines of the vendored header's PROVENANCE. */
function readProvenance() {
  const file = path.join(root, PROVENANCE);
  if (!fs.existsSync(file)) return new Map();
  return new Map(fs.readFileSync(file, 'utf8').split('\n')
    .map((line) => /^([\w-]+): (.*)$/.exec(line))
    .filter(Boolean)
    .map((match) => [match[1], match[2].trim()]));
}

/** Repository-relative when inside the repository, so the output is the same on every checkout. */
function displayName(file) {
  const relative = path.relative(root, path.resolve(file));
  return relative.startsWith('..') || path.isAbsolute(relative) ? path.resolve(file) : relative;
}

/**
 * Helper names and ids from the mapper macro. Before Linux 6.1's rework the list was
 * `FN(name)` with the id implied by position; since then it is `FN(name, id, ##ctx)`.
 */
function parseMapper(text) {
  const start = text.search(/#define\s+_{2,3}BPF_FUNC_MAPPER\(FN/);
  if (start < 0) return { helpers: [], error: 'no __BPF_FUNC_MAPPER / ___BPF_FUNC_MAPPER list found' };
  const lines = text.slice(start).split('\n');
  const body = [];
  for (const line of lines) {
    body.push(line);
    if (!line.trimEnd().endsWith('\\')) break;
  }
  const helpers = [];
  let position = 0;
  for (const match of body.join('\n').matchAll(/\bFN\(\s*(\w+)\s*(?:,\s*(\d+))?/g)) {
    const id = match[2] !== undefined ? Number(match[2]) : position;
    position++;
    if (match[1] === 'unspec') continue;
    helpers.push({ name: `bpf_${match[1]}`, id });
  }
  return { helpers, error: helpers.length === 0 ? 'the mapper list is empty' : undefined };
}

/** The helper documentation comment: per helper, its C prototypes and Description/Return text. */
function parseHelperDocs(text) {
  const startMarker = text.indexOf('Start of BPF helper function descriptions:');
  if (startMarker < 0) return new Map();
  const end = text.indexOf('*/', startMarker);
  const lines = text.slice(startMarker, end).split('\n').slice(1);
  const docs = new Map();
  let current;
  let section;
  for (const raw of lines) {
    const content = raw.replace(/^\s*\*/, '').replace(/^ /, '');
    const proto = /^(\S.*?)\b(bpf_\w+)\((.*)\)\s*$/.exec(content);
    if (proto) {
      const entry = docs.get(proto[2]) ?? { prototypes: [], description: [], returns: [] };
      entry.prototypes.push({ returnType: proto[1].trim(), params: proto[3] });
      // Overloads repeat the prototype with their own text; the first description serves all.
      current = entry.prototypes.length === 1 ? entry : undefined;
      section = undefined;
      docs.set(proto[2], entry);
      continue;
    }
    const heading = content.trim();
    if (heading === 'Description' || heading === 'Return') {
      section = heading === 'Description' ? 'description' : 'returns';
      continue;
    }
    if (current && section) current[section].push(content.trim());
  }
  return docs;
}

function normalizeType(type) {
  return type.replace(/\s+/g, ' ').replace(/\s*(\*+)\s*/g, ' $1').trim();
}

/** `const struct sk_buff *` → `const struct __sk_buff *`, `u64` → `__u64`. */
function programViewType(type) {
  const normalized = normalizeType(type);
  const match = /^(const )?(.*?)( ?\**)$/.exec(normalized);
  const [, qualifier = '', base, stars] = match;
  const mapped = PROGRAM_VIEW_TYPES.get(base) ?? base;
  return `${qualifier}${mapped}${stars}`.trim();
}

function parseParams(params, helperName) {
  const trimmed = params.trim();
  if (trimmed === 'void' || trimmed === '') return { args: [], variadic: false };
  const args = [];
  let variadic = false;
  for (const part of trimmed.split(',').map((p) => p.trim())) {
    if (part === '...') { variadic = true; continue; }
    const match = /^(.*?[\s*])(\w+)$/.exec(part);
    if (!match) throw new Error(`${helperName}: cannot read parameter "${part}"`);
    args.push({ type: programViewType(match[1]), name: match[2] });
  }
  return { args, variadic };
}

/**
 * Helpers documented once per context type (bpf_get_socket_cookie, bpf_sk_assign) take any of
 * them, so positions whose type differs between overloads become `void *`.
 */
function mergeOverloads(name, prototypes) {
  const parsed = prototypes.map((p) => ({ returnType: programViewType(p.returnType), ...parseParams(p.params, name) }));
  const [first, ...rest] = parsed;
  if (rest.length === 0) return first;
  for (const other of rest) {
    if (other.args.length !== first.args.length || other.returnType !== first.returnType) {
      throw new Error(`${name}: overloads differ in arity or return type; cannot merge them into one declaration`);
    }
  }
  const args = first.args.map((arg, index) => {
    const types = new Set(parsed.map((p) => p.args[index].type));
    const names = new Set(parsed.map((p) => p.args[index].name));
    const name = names.size === 1 ? arg.name : (index === 0 ? 'ctx' : arg.name);
    return { type: types.size === 1 ? arg.type : 'void *', name };
  });
  return { returnType: first.returnType, args, variadic: first.variadic };
}

/** Strips the reStructuredText markup the kernel uses for man pages. */
function plainText(lines) {
  const escapedStar = '\u0000';
  return lines.join(' ')
    // `\*` is a literal asterisk (C pointers in prose); keep it out of the emphasis rules.
    .replace(/\\\*/g, escapedStar)
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/\*(.+?)\*/g, '$1')
    .replace(/\\ /g, '')
    .replace(/\\(.)/g, '$1')
    .replace(/``(.+?)``/g, '$1')
    .replaceAll(escapedStar, '*')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first sentence of the description, cut at a word boundary when it runs long. */
function summarize(lines) {
  const text = plainText(lines);
  const abbreviations = /(?:e\.g|i\.e|etc|vs|resp)\.$/;
  let sentence = text;
  for (const match of text.matchAll(/\.(\s|$)/g)) {
    const candidate = text.slice(0, match.index + 1);
    if (!abbreviations.test(candidate)) { sentence = candidate; break; }
  }
  if (sentence.length <= SUMMARY_LIMIT) return sentence;
  const cut = sentence.slice(0, SUMMARY_LIMIT - 1);
  return `${cut.slice(0, cut.lastIndexOf(' ')).replace(/[,;:]$/, '')}…`;
}

function declarationType(type) {
  return type.endsWith('*') ? type : `${type} `;
}

function cSignature(helper) {
  const params = helper.args.map((a) => `${declarationType(a.type)}${a.name}`);
  if (helper.variadic) params.push('...');
  return `${declarationType(helper.returnType)}${helper.name}(${params.length ? params.join(', ') : 'void'})`;
}

function buildCatalog(text) {
  const { helpers: mapped, error } = parseMapper(text);
  if (error) throw new Error(error);
  const docs = parseHelperDocs(text);
  const undocumented = [];
  const catalog = [];
  for (const { name, id } of mapped) {
    const doc = docs.get(name);
    if (!doc) { undocumented.push(name); continue; }
    const merged = mergeOverloads(name, doc.prototypes);
    const helper = { id, name, returnType: merged.returnType, args: merged.args, ...(merged.variadic ? { variadic: true } : {}) };
    catalog.push({ ...helper, signature: cSignature(helper), doc: summarize(doc.description) });
  }
  catalog.sort((a, b) => a.id - b.id);
  return { catalog, undocumented };
}

function provenanceLines(source) {
  return [
    `Generated by ${source.generator}; do not edit. Regenerate with \`node ${source.generator}\`.`,
    `Source: ${source.file}, sha256 ${source.sha256}.`,
    'Helper ids come from its __BPF_FUNC_MAPPER list, prototypes from its helper documentation.',
  ];
}

function renderHeader(catalog, undocumented, source) {
  const structs = new Set();
  for (const helper of catalog) {
    for (const type of [helper.returnType, ...helper.args.map((a) => a.type)]) {
      const match = /\b(struct|union) (\w+)/.exec(type);
      if (match) structs.add(`${match[1]} ${match[2]}`);
    }
  }
  const out = [];
  out.push('/* SPDX-License-Identifier: MIT */');
  out.push('/*');
  for (const line of provenanceLines(source)) out.push(` * ${line}`);
  out.push(' *');
  out.push(' * Each helper is a constant function pointer whose value is the helper id: clang turns a call');
  out.push(' * through it into a BPF call instruction with that id as its immediate.');
  out.push(' */');
  out.push('#ifndef BPFDEV_BPF_HELPER_DEFS_H');
  out.push('#define BPFDEV_BPF_HELPER_DEFS_H');
  out.push('');
  out.push('/* Incomplete declarations only: vmlinux.h or the UAPI headers define these types, and a');
  out.push('   declaration without a body agrees with either order of inclusion. */');
  for (const tag of [...structs].sort()) out.push(`${tag};`);
  out.push('');
  for (const helper of catalog) {
    const params = helper.args.map((a) => `${declarationType(a.type)}${a.name}`);
    if (helper.variadic) params.push('...');
    out.push(`/* ${helper.name} (${helper.id}): ${helper.doc.replace(/\*\//g, '* /').replace(/\/\*/g, '/ *')} */`);
    out.push(`static ${declarationType(helper.returnType)}(* const ${helper.name})(${params.length ? params.join(', ') : 'void'}) = (void *) ${helper.id};`);
    out.push('');
  }
  if (undocumented.length) {
    out.push(`/* In the mapper list but without a documented prototype, so not declared: ${undocumented.join(', ')}. */`);
    out.push('');
  }
  out.push('#endif /* BPFDEV_BPF_HELPER_DEFS_H */');
  return `${out.join('\n')}\n`;
}

function renderCatalog(catalog, undocumented, source) {
  const out = [];
  out.push('/*');
  for (const line of provenanceLines(source)) out.push(` * ${line}`);
  out.push(' */');
  out.push("import type { BpfHelper, HelperCatalogSource } from './types';");
  out.push('');
  out.push('export const HELPER_CATALOG_SOURCE: HelperCatalogSource = ' + JSON.stringify({
    file: source.file, sha256: source.sha256, generator: source.generator, undocumented,
  }) + ';');
  out.push('');
  out.push('export const HELPERS: readonly BpfHelper[] = [');
  for (const helper of catalog) out.push(`  ${JSON.stringify(helper)},`);
  out.push('];');
  return `${out.join('\n')}\n`;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(options.source)) {
    fail(`${options.source} is missing: run scripts/vendor-uapi-bpf.sh, or pass --source <linux/bpf.h>`);
  }
  const bytes = fs.readFileSync(options.source);
  const source = {
    file: displayName(options.source),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    generator: GENERATOR,
  };
  // An edited or half-updated vendored header must not pass as the pinned one.
  if (options.check && source.file === VENDORED) {
    const pinned = readProvenance().get('sha256');
    if (pinned !== source.sha256) {
      process.stderr.write(`${GENERATOR}: ${VENDORED} has sha256 ${source.sha256}, ${PROVENANCE} pins ${pinned ?? 'nothing'}\n`
        + '  run `scripts/vendor-uapi-bpf.sh` to restore it, or `--update` to vendor another version\n');
      process.exit(1);
    }
  }
  let built;
  try {
    built = buildCatalog(bytes.toString('utf8'));
  } catch (error) {
    fail(`${options.source}: ${error.message}`);
  }
  const rendered = {
    header: renderHeader(built.catalog, built.undocumented, source),
    catalog: renderCatalog(built.catalog, built.undocumented, source),
  };
  const outputs = options.outDir
    ? Object.fromEntries(Object.entries(committedOutputs).map(([key, file]) => [key, path.join(path.resolve(options.outDir), path.basename(file))]))
    : committedOutputs;
  if (options.check) {
    const stale = Object.entries(outputs)
      .filter(([key, file]) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== rendered[key])
      .map(([, file]) => path.relative(root, file));
    if (stale.length) {
      process.stderr.write(`${GENERATOR}: stale generated files: ${stale.join(', ')}\n`
        + `  source now: ${source.file}, sha256 ${source.sha256}\n`
        + `  run \`node ${GENERATOR}\` and commit the result\n`);
      process.exit(1);
    }
    process.stdout.write(`${GENERATOR}: ${built.catalog.length} helpers, generated files are up to date\n`);
    return;
  }
  for (const [key, file] of Object.entries(outputs)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, rendered[key]);
  }
  process.stdout.write(`${GENERATOR}: wrote ${built.catalog.length} helpers from ${source.file}`
    + `${built.undocumented.length ? `; undocumented, skipped: ${built.undocumented.join(', ')}` : ''}\n`);
}

main();
