/**
 * Splits a command line into words the way a POSIX shell would before running it, without any
 * expansion: the `command` form of compile_commands.json is specified as shell-escaped, and a
 * build tool wrote it to be read back word for word. A library like shell-quote expands `$VAR`
 * and turns `&&` or `>` into operator objects, which would change a `-D` value; clang's own
 * reader (tokenizeGNUCommandLine) does not expand either.
 */

export interface ShellWords {
  words: string[];
  /** Set when the text ends inside a quote; `words` then holds what was read up to there. */
  error?: string;
}

export function splitShellWords(text: string): ShellWords {
  const words: string[] = [];
  let word = '';
  // A word exists once anything was read for it, even an empty quoted string ('' is one argument).
  let inWord = false;
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      index++;
    } else if (char === '\\') {
      // Backslash-newline joins lines; any other escaped character stands for itself.
      if (text[index + 1] === '\n') {
        index += 2;
        continue;
      }
      if (index + 1 < text.length) word += text[index + 1];
      inWord = true;
      index += 2;
    } else if (char === '\'') {
      const end = text.indexOf('\'', index + 1);
      if (end < 0) return { words: [...words, word + text.slice(index + 1)], error: 'unterminated single quote' };
      word += text.slice(index + 1, end);
      inWord = true;
      index = end + 1;
    } else if (char === '"') {
      index++;
      let closed = false;
      while (index < text.length) {
        const inner = text[index];
        if (inner === '"') {
          closed = true;
          index++;
          break;
        }
        // Inside double quotes a backslash escapes only these; elsewhere it is literal.
        if (inner === '\\' && index + 1 < text.length && '$`"\\\n'.includes(text[index + 1])) {
          if (text[index + 1] !== '\n') word += text[index + 1];
          index += 2;
          continue;
        }
        word += inner;
        index++;
      }
      inWord = true;
      if (!closed) return { words: [...words, word], error: 'unterminated double quote' };
    } else {
      word += char;
      inWord = true;
      index++;
    }
  }
  if (inWord) words.push(word);
  return { words };
}
