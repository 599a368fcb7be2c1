/**
 * The eBPF injection grammar (syntaxes/bpf-c.injection.tmLanguage.json) tokenized the way VS
 * Code does: vscode-textmate with the oniguruma WASM, injected into the C grammar VS Code ships
 * (from the tm-grammars package), over our templates and examples and over tricky lines.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const root = path.resolve(__dirname, '..', '..', '..');
const injectionPath = path.join(root, 'syntaxes', 'bpf-c.injection.tmLanguage.json');
const INJECTION = 'bpf-c.injection';

let grammar: textmate.IGrammar;

before(async () => {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      const file = scopeName === 'source.c' ? require.resolve('tm-grammars/grammars/c.json')
        : scopeName === INJECTION ? injectionPath : undefined;
      return file ? textmate.parseRawGrammar(fs.readFileSync(file, 'utf8'), file) : null;
    },
    // What package.json's `injectTo: ["source.c"]` makes VS Code do.
    getInjections: (scopeName) => (scopeName === 'source.c' ? [INJECTION] : undefined),
  });
  const loaded = await registry.loadGrammar('source.c');
  assert.ok(loaded, 'the C grammar loads');
  grammar = loaded;
});

interface Token { text: string; scopes: string[] }

function tokenize(source: string): Token[][] {
  let stack = textmate.INITIAL;
  return source.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens.map((token) => ({ text: line.slice(token.startIndex, token.endIndex), scopes: token.scopes }));
  });
}

/** The innermost scopes of the token that is exactly `text`, on the first line holding it. */
function scopesOf(source: string, text: string, occurrence = 0): string[] {
  const tokens = tokenize(source).flat().filter((token) => token.text === text);
  assert.ok(tokens[occurrence], `a token "${text}" in: ${JSON.stringify(tokenize(source).flat().map((t) => t.text))}`);
  return tokens[occurrence].scopes;
}

const has = (scopes: string[], scope: string) => scopes.some((candidate) => candidate === scope);

void test('SEC: the macro, the string, and the program type before the first slash', () => {
  const line = 'SEC("tracepoint/syscalls/sys_enter_openat")';
  assert.ok(has(scopesOf(line, 'SEC'), 'storage.modifier.section.bpf'));
  assert.ok(has(scopesOf(line, 'tracepoint'), 'support.type.program-type.bpf'));
  assert.ok(has(scopesOf(line, 'tracepoint'), 'string.quoted.double.section.bpf'));
  assert.ok(!has(scopesOf(line, 'syscalls'), 'support.type.program-type.bpf'), 'only the prefix is the type');
  assert.ok(has(scopesOf(line, 'syscalls'), 'string.quoted.double.section.bpf'));
  assert.ok(has(scopesOf('} counts SEC(".maps");', '.maps'), 'support.type.program-type.bpf'));
  const optional = 'SEC("?xdp")';
  assert.ok(has(scopesOf(optional, '?'), 'keyword.operator.optional.bpf'));
  assert.ok(has(scopesOf(optional, 'xdp'), 'support.type.program-type.bpf'));
});

void test('map definitions: __uint/__type/__array and the attribute they set', () => {
  const source = 'struct {\n\t__uint(type, BPF_MAP_TYPE_HASH);\n\t__type(key, u32);\n\t__array(values, struct inner);\n} m SEC(".maps");';
  for (const macro of ['__uint', '__type', '__array']) assert.ok(has(scopesOf(source, macro), 'support.function.macro.map-definition.bpf'), macro);
  for (const attribute of ['type', 'key', 'values']) assert.ok(has(scopesOf(source, attribute), 'variable.other.property.map-attribute.bpf'), attribute);
  assert.ok(has(scopesOf(source, 'BPF_MAP_TYPE_HASH'), 'support.constant.map-type.bpf'));
});

void test('helpers, BPF_* macros, program macros, constants and attributes', () => {
  const source = [
    'static __always_inline int f(void) { return 0; }',
    'int BPF_KPROBE(do_unlink, int dfd, struct filename *name)',
    '{',
    '\tconst char *p = BPF_CORE_READ(name, name);',
    '\tbpf_printk("x %s", p);',
    '\tbpf_map_update_elem(&m, &k, &v, BPF_NOEXIST);',
    '\treturn XDP_PASS;',
    '}',
  ].join('\n');
  assert.ok(has(scopesOf(source, '__always_inline'), 'storage.modifier.bpf'));
  assert.ok(has(scopesOf(source, 'BPF_KPROBE'), 'support.function.macro.program.bpf'));
  assert.ok(has(scopesOf(source, 'do_unlink'), 'entity.name.function.bpf'));
  assert.ok(has(scopesOf(source, 'BPF_CORE_READ'), 'support.function.macro.bpf'));
  assert.ok(has(scopesOf(source, 'bpf_printk'), 'support.function.helper.bpf'));
  assert.ok(has(scopesOf(source, 'bpf_map_update_elem'), 'support.function.helper.bpf'));
  assert.ok(has(scopesOf(source, 'BPF_NOEXIST'), 'support.constant.bpf'));
  assert.ok(has(scopesOf(source, 'XDP_PASS'), 'support.constant.verdict.bpf'));
  // The C grammar still does its part around the injected tokens.
  assert.ok(scopesOf(source, 'return').some((scope) => scope.startsWith('keyword.control')));
});

void test('nothing is injected into comments, ordinary strings or look-alike names', () => {
  const source = [
    '// SEC("xdp") bpf_printk(x) BPF_CORE_READ(a, b)',
    '/* __uint(type, BPF_MAP_TYPE_HASH) */',
    'const char *s = "bpf_printk(SEC)";',
    'int my_bpf_thing(void); int xbpf_y(int);',
  ].join('\n');
  for (const token of tokenize(source).flat()) {
    assert.ok(!token.scopes.some((scope) => scope.endsWith('.bpf')), `"${token.text}" got ${token.scopes.join(' ')}`);
  }
});

void test('every helper call, SEC and map macro in the templates and examples is highlighted', () => {
  const files = [
    ...fs.readdirSync(path.join(root, 'templates')).filter((f) => f.endsWith('.bpf.c')).map((f) => path.join(root, 'templates', f)),
    ...fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.bpf.c')).map((f) => path.join(root, 'examples', f)),
  ];
  assert.ok(files.length >= 5);
  let checked = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const lines = tokenize(text);
    text.split('\n').forEach((line, index) => {
      if (/^\s*\/\//.test(line)) return;
      for (const match of line.matchAll(/\b(bpf_[a-z0-9_]+)\s*\(|\b(SEC)\s*\(|\b(__uint|__type)\s*\(/g)) {
        const name = match[1] ?? match[2] ?? match[3]!;
        const token = lines[index]!.find((candidate) => candidate.text === name);
        assert.ok(token && token.scopes.some((scope) => scope.endsWith('.bpf')), `${path.basename(file)}:${index + 1}: ${name} -> ${token?.scopes.join(' ')}`);
        checked++;
      }
    });
  }
  assert.ok(checked > 20, `checked ${checked} uses`);
});
