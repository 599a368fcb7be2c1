/**
 * The verifier view's data (issue #11 item 7): on request, compile the document, load it in the
 * target's verifier at the log level asked for, and turn each program's log into the step-through
 * model (core/src/verifier/view.ts). The model is built here, not in the webview, so the client
 * only renders and a 100 MB level-2 log never crosses to it (the model keeps the last steps).
 */
import { Connection } from 'vscode-languageserver/node';
import { URI } from './uri';
import type { VerifierViewParams, VerifierViewResult } from '../../../protocol/src/protocol';
import { buildVerifierView } from '../../../core/src/verifier/view';
import { compileForTarget } from '../../../host/src/compile';
import { verifyOnTarget } from '../../../host/src/loader';
import { SettingsStore } from '../settings';
import { TargetProvider } from '../targets';

export class VerifierViewFeature {
  constructor(
    private readonly connection: Connection,
    private readonly settings: SettingsStore,
    private readonly targets: TargetProvider,
  ) {}

  async view(params: VerifierViewParams): Promise<VerifierViewResult> {
    const logLevel = params.logLevel ?? 1;
    const result: VerifierViewResult = { uri: params.uri, logLevel, programs: [] };
    try {
      const settings = await this.settings.get(params.uri);
      const target = this.targets.current();
      // Compiled as verification.ts compiles (same flags, same target): the log belongs to the diagnostics shown.
      const compiled = await compileForTarget(URI.toFsPath(params.uri), target, { clang: settings.clangPath, extraFlags: settings.extraCflags });
      if (!compiled.ok) return { ...result, error: 'the file does not compile: fix the errors clang reports first' };
      const outcome = await verifyOnTarget(target, compiled.objectPath, logLevel);
      if (outcome.error && outcome.programs.length === 0) return { ...result, error: outcome.error.reason };
      for (const program of outcome.programs) {
        if (params.program && program.name !== params.program) continue;
        result.programs.push({
          name: program.name, section: program.section, verdict: program.verdict,
          view: buildVerifierView(program.log ?? ''),
        });
      }
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      result.error = `${(error as Error).message}${hint ? ` — ${hint}` : ''}`;
      this.connection.console.error(`verifier view: ${result.error}`);
    }
    return result;
  }
}
