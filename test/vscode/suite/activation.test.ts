import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ROOT_ENV } from './run-options';
import { activateExtension, EXTENSION_ID } from './support';

suite('activation', () => {
  test('the extension activates in a real VS Code', async () => {
    console.log(`    VS Code ${vscode.version}, ${vscode.env.appName}, uiKind ${vscode.UIKind[vscode.env.uiKind]}, `
      + `remote ${vscode.env.remoteName ?? 'none'}, extension host Node ${process.version}`);
    // Opening the fixture workspace (it holds *.bpf.c files) is what should have activated it.
    const before = vscode.extensions.getExtension(EXTENSION_ID)?.isActive;
    console.log(`    active before the test asked: ${before}`);
    await activateExtension();
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.equal(extension?.isActive, true);
    // A run against the .vsix must test the installed package, not the repository.
    const expectedRoot = process.env[EXTENSION_ROOT_ENV];
    console.log(`    loaded from ${extension.extensionPath}`);
    if (expectedRoot) {
      const relative = path.relative(expectedRoot, extension.extensionPath);
      assert.ok(!relative.startsWith('..') && !path.isAbsolute(relative), `the extension was loaded from ${extension.extensionPath}, expected it under ${expectedRoot}`);
    }
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['bpfdev.run', 'bpfdev.stop', 'bpfdev.verify']) {
      assert.ok(commands.includes(command), `${command} is registered`);
    }
  });

  test('activate() returns the test API', async () => {
    const api = await activateExtension();
    assert.equal(typeof api?.onTraceLine, 'function', 'api.onTraceLine');
    assert.equal(typeof api?.runningSessions, 'function', 'api.runningSessions');
    assert.equal(api.runningSessions(), 0);
  });
});
