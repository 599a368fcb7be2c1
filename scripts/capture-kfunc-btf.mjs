#!/usr/bin/env node
// Captures test/fixtures/btf/kfuncs.btf: the part of this kernel's BTF that the kfunc
// declarations of vmlinux.h need, small enough to commit (the whole blob is 5+ MB). Kept:
// every FUNC the kernel tags with the decl tag bpf_kfunc (and bpf_fastcall), the tags, and
// the types their prototypes name: integers, typedefs, qualifiers, pointers, enums, function
// prototypes. Structs and unions become forward declarations (FWD), since a prototype only
// needs their names; nothing else changes, ids are renumbered.
//
// Also writes kfuncs.btf.bpftool-raw (`bpftool btf dump file`, the oracle the unit test reads)
// and records provenance in kfuncs.PROVENANCE.md.
//
//   npm run build && node scripts/capture-kfunc-btf.mjs
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { parseBtf } = require(path.join(repo, 'out/core/src/btf/reader.js'));
const { BtfKind } = require(path.join(repo, 'out/core/src/btf/types.js'));

const source = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const out = path.join(repo, 'test/fixtures/btf');
const blob = fs.readFileSync(source);
const { btf, errors } = parseBtf(new Uint8Array(blob));
if (!btf) throw new Error(`cannot read ${source}: ${errors.join('; ')}`);

const KEEP_TAGS = new Set(['bpf_kfunc', 'bpf_fastcall']);
const tags = [];
for (let id = 1; id < btf.typeCount; id++) {
  if (btf.kindOf(id) !== BtfKind.DeclTag || !KEEP_TAGS.has(btf.nameOf(id))) continue;
  const tag = btf.typeById(id);
  if (tag.componentIdx === -1 && btf.kindOf(tag.type) === BtfKind.Func) tags.push(id);
}

// Old id -> new id, assigned in first-visit order; void stays 0.
const newId = new Map([[0, 0]]);
const order = [];
function visit(id) {
  if (newId.has(id)) return;
  newId.set(id, order.length + 1);
  order.push(id);
  const type = btf.typeById(id);
  switch (type.kind) {
    case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const:
    case BtfKind.Restrict: case BtfKind.TypeTag: case BtfKind.Func: case BtfKind.DeclTag:
      visit(type.type);
      break;
    case BtfKind.Array:
      visit(type.elemType);
      visit(type.indexType);
      break;
    case BtfKind.FuncProto:
      visit(type.returnType);
      for (const param of type.params) visit(param.type);
      break;
    default:
      break;
  }
}
for (const id of tags) visit(id);

const strings = ['\0'];
const stringOffsets = new Map([['', 0]]);
let stringLength = 1;
function str(name) {
  if (!stringOffsets.has(name)) {
    stringOffsets.set(name, stringLength);
    strings.push(`${name}\0`);
    stringLength += Buffer.byteLength(name) + 1;
  }
  return stringOffsets.get(name);
}

const words = [];
const info = (kind, vlen, kflag = 0) => ((kflag ? 1 : 0) << 31 | kind << 24 | vlen) >>> 0;
const ref = (id) => newId.get(id);
const LINKAGE = { static: 0, global: 1, extern: 2 };
for (const id of order) {
  const t = btf.typeById(id);
  switch (t.kind) {
    case BtfKind.Int:
      words.push(str(t.name), info(t.kind, 0), t.size, ((t.signed ? 1 : 0) | (t.char ? 2 : 0) | (t.bool ? 4 : 0)) << 24 | t.bitOffset << 16 | t.bits);
      break;
    case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const:
    case BtfKind.Restrict: case BtfKind.TypeTag:
      words.push(str(t.name), info(t.kind, 0), ref(t.type));
      break;
    case BtfKind.Array:
      words.push(str(t.name), info(t.kind, 0), 0, ref(t.elemType), ref(t.indexType), t.nelems);
      break;
    case BtfKind.Struct: case BtfKind.Union:
      words.push(str(t.name), info(BtfKind.Fwd, 0, t.kind === BtfKind.Union), 0);
      break;
    case BtfKind.Fwd:
      words.push(str(t.name), info(t.kind, 0, t.union), 0);
      break;
    case BtfKind.Enum:
      words.push(str(t.name), info(t.kind, t.values.length, t.signed), t.size);
      for (const v of t.values) words.push(str(v.name), v.value >>> 0);
      break;
    case BtfKind.Enum64:
      words.push(str(t.name), info(t.kind, t.values.length, t.signed), t.size);
      for (const v of t.values) {
        const bits = BigInt.asUintN(64, BigInt(v.value));
        words.push(str(v.name), Number(bits & 0xffffffffn), Number(bits >> 32n));
      }
      break;
    case BtfKind.Func:
      words.push(str(t.name), info(t.kind, LINKAGE[t.linkage]), ref(t.type));
      break;
    case BtfKind.FuncProto: {
      const params = t.variadic ? [...t.params, { name: '', type: 0 }] : t.params;
      words.push(str(t.name), info(t.kind, params.length), ref(t.returnType));
      for (const p of params) words.push(str(p.name), ref(p.type));
      break;
    }
    case BtfKind.Float:
      words.push(str(t.name), info(t.kind, 0), t.size);
      break;
    case BtfKind.DeclTag:
      words.push(str(t.name), info(t.kind, 0), ref(t.type), t.componentIdx >>> 0);
      break;
    default:
      throw new Error(`type ${id}: kind ${t.kind} is not expected in a kfunc prototype`);
  }
}

const typeBytes = Buffer.alloc(words.length * 4);
words.forEach((word, i) => typeBytes.writeUInt32LE(word >>> 0, i * 4));
const stringBytes = Buffer.from(strings.join(''), 'utf8');
const header = Buffer.alloc(24);
header.writeUInt16LE(0xeb9f, 0);
header.writeUInt8(1, 2);
header.writeUInt32LE(24, 4);
header.writeUInt32LE(0, 8);
header.writeUInt32LE(typeBytes.length, 12);
header.writeUInt32LE(typeBytes.length, 16);
header.writeUInt32LE(stringBytes.length, 20);
const fixture = path.join(out, 'kfuncs.btf');
fs.writeFileSync(fixture, Buffer.concat([header, typeBytes, stringBytes]));
fs.writeFileSync(`${fixture}.bpftool-raw`, execFileSync('bpftool', ['btf', 'dump', 'file', fixture], { maxBuffer: 64 * 1024 * 1024 }));

const sha = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const kfuncCount = tags.filter((id) => btf.nameOf(id) === 'bpf_kfunc').length;
fs.writeFileSync(path.join(out, 'kfuncs.PROVENANCE.md'), [
  '# kfuncs.btf',
  '',
  'Built by `scripts/capture-kfunc-btf.mjs` — do not edit by hand.',
  '',
  `- from \`${source}\` (sha256 \`${sha(source)}\`, ${blob.length} bytes), kernel \`${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}\`, ${new Date().toISOString()}`,
  `- ${kfuncCount} FUNCs tagged bpf_kfunc, ${tags.length - kfuncCount} tags bpf_fastcall on them; ${order.length} types kept, structs/unions as FWD`,
  `- kfuncs.btf.bpftool-raw: \`bpftool btf dump file kfuncs.btf\` (${execFileSync('bpftool', ['version'], { encoding: 'utf8' }).split('\n')[0]})`,
  '',
  'sha256:',
  '```',
  `${sha(fixture)}  kfuncs.btf`,
  `${sha(`${fixture}.bpftool-raw`)}  kfuncs.btf.bpftool-raw`,
  '```',
  '',
].join('\n'));
console.log(`captured ${order.length} types (${kfuncCount} kfuncs) into ${fixture}`);
