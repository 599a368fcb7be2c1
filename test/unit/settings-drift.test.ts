/** package.json declares the settings; protocol.ts types them. They must not drift apart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '../../protocol/src/protocol';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default: unknown; scope?: string; description?: string; markdownDescription?: string }> } };
};
const declared = manifest.contributes.configuration.properties;
/** Read only by the client (never sent to the server), so not part of BpfdevSettings. */
const CLIENT_ONLY = new Set(['bpfdev.hosts', 'bpfdev.trace.maxRows', 'bpfdev.trace.historyLines', 'bpfdev.maps.refreshInterval', 'bpfdev.maps.maxEntries', 'bpfdev.clangd.backgroundIndex', 'bpfdev.events.decodeAs']);

test('every typed setting is declared in package.json with the same default', () => {
  for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
    const entry = declared[`bpfdev.${key}`];
    assert.ok(entry, `bpfdev.${key} is typed in protocol.ts but not declared in package.json`);
    assert.deepEqual(entry.default, value, `bpfdev.${key} defaults differ`);
  }
});

test('every declared setting is typed (or known to be client-only), scoped and described', () => {
  for (const [key, entry] of Object.entries(declared)) {
    if (!key.startsWith('bpfdev.')) continue;
    assert.ok(CLIENT_ONLY.has(key) || key.slice('bpfdev.'.length) in DEFAULT_SETTINGS, `${key} is declared but not typed in protocol.ts`);
    assert.ok(entry.scope, `${key} has no scope`);
    assert.ok(entry.description || entry.markdownDescription, `${key} has no description`);
  }
});
