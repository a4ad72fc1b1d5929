// Text from outside (a file's bytes in a JSON parser's message, a flag's
// value) made safe to print on one terminal line: control characters, line
// and paragraph separators and bidirectional overrides are written as
// escapes, so a message can neither span lines, hide behind a carriage
// return, nor reorder what the operator reads.
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (ch) => NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
