/** Words for a POSIX shell: what the CLI prints as a command must work when pasted. */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Single-quotes a word unless it is made of characters no shell treats specially. */
export function shellWord(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Always single-quoted (workflow IDs: the contract with the workflow's hints). */
export function singleQuoted(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}
