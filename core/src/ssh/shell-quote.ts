/**
 * Quoting for commands sent to a remote POSIX shell (SSH always runs commands through the
 * user's shell). Every argument is single-quoted, the only quoting in which no character is
 * special: `$()`, backticks, `;`, spaces, newlines and globs all stay literal.
 */

export class UnquotableArgumentError extends Error {
  constructor(readonly argument: string) {
    super('a command argument contains a NUL byte, which no shell argument can carry');
    this.name = 'UnquotableArgumentError';
  }
}

export function quoteShellArgument(argument: string): string {
  if (argument.includes('\0')) throw new UnquotableArgumentError(argument);
  // Bare words that cannot be misread stay unquoted so commands in logs read naturally.
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quoteShellArgument).join(' ');
}
