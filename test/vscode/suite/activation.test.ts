import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, EXTENSION_ID } from './support';

suite('activation', () => {
  test('the extension activates in a real VS Code', async () => {
    console.log(`    VS Code ${vscode.version}, ${vscode.env.appName}, uiKind ${vscode.UIKind[vscode.env.uiKind]}, `
      + `remote ${vscode.env.remoteName ?? 'none'}, extension host Node ${process.version}`);
    // Opening the fixture workspace (it holds *.bpf.c files) is what should have activated it.
    const before = vscode.extensions.getExtension(EXTENSION_ID)?.isActive;
    console.log(`    active before the test asked: ${before}`);
    await activateExtension();
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
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
