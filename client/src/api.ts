/** What activate() returns: for other extensions and for our own integration tests, which wait on these events. */
import type * as vscode from 'vscode';
import type { VerifiedParams } from '../../protocol/src/protocol';
import type { DecodedRecord } from '../../core/src/events/record';

export interface BpfdevApi {
  onTraceLine(listener: (line: string) => void): vscode.Disposable;
  onVerified(listener: (result: VerifiedParams) => void): vscode.Disposable;
  /** Decoded ring-buffer / perf-event records of the running programs, in batches (at most every 100 ms). */
  onEventRecords(listener: (records: readonly DecodedRecord[]) => void): vscode.Disposable;
  runningSessions(): number;
  /** The verifier view showed a step (after it rendered a log, or the user picked one): its index in the view's steps. */
  onVerifierViewStep(listener: (step: number) => void): vscode.Disposable;
}
