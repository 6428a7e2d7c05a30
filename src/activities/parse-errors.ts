/**
 * Parse errors that say where, never what: YAML and JSON parsers quote the offending line in
 * their messages, and that line is often `password: ...`. These messages name the file, the
 * line and the column, and the kind of mistake, so the operator can find it; the text of
 * the file stays out of failure messages, history, logs and chat.
 */
import { YAMLError } from 'yaml';

/** `values.yaml is not valid YAML (line 4, column 3: BAD_INDENT)` */
export function describeParseError(source: string, err: unknown, text?: string): string {
  if (err instanceof YAMLError) {
    const pos = err.linePos?.[0];
    return `${source} is not valid YAML (${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${err.code})`;
  }
  if (err instanceof SyntaxError) {
    // V8: "... at position 42" (sometimes "(line 3 column 5)"); the rest quotes the text.
    const lineCol = /line (\d+) column (\d+)/.exec(err.message);
    if (lineCol) return `${source} is not valid JSON (line ${lineCol[1]}, column ${lineCol[2]})`;
    const position = /at position (\d+)/.exec(err.message);
    if (position && text !== undefined) {
      return `${source} is not valid JSON (${lineAndColumn(text, Number(position[1]))})`;
    }
    // No position in the message (newer V8 quotes the text instead): find it ourselves.
    const offset = text !== undefined ? jsonErrorOffset(text) : undefined;
    if (offset !== undefined) return `${source} is not valid JSON (${lineAndColumn(text!, offset)})`;
    return /Unexpected end/.test(err.message) ? `${source} is not valid JSON (it ends too early)` : `${source} is not valid JSON`;
  }
  return `${source} cannot be parsed (${err instanceof Error ? err.name : typeof err})`;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
}

/** Where a JSON text stops being JSON: a small scanner, for messages only. */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  class Stop extends Error {}
  const fail = (): never => {
    throw new Stop();
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => (text.startsWith(word, i) ? (i += word.length) : fail());
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    if (c === 't') return void literal('true');
    if (c === 'f') return void literal('false');
    if (c === 'n') return void literal('null');
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (err) {
    if (err instanceof Stop) return i;
    throw err;
  }
}
