// ISO-8601 times as the simulator reads them from forms and CSV logs, and
// writes them into events. Lenient on input (a space for the `T`, no zone
// meaning UTC, seconds optional), canonical on output, so the engine (which
// wants an explicit zone) always gets text it accepts.

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds since 1970 for an ISO-8601 date or date-time (no zone = UTC), or null when it is not one. */
export function parseIso(text: string): number | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, hh = "0", mi = "0", ss = "0", frac = "", zone = "Z"] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d),
    hour = Number(hh),
    minute = Number(mi),
    second = Number(ss);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  let ms = Date.UTC(
    year,
    month - 1,
    day,
    hour,
    minute,
    second,
    Number(frac.padEnd(3, "0").slice(0, 3)),
  );
  // Date.UTC rolls 31 April over into May: refuse days the month doesn't have.
  if (new Date(ms).getUTCDate() !== day) return null;
  if (zone !== "Z" && zone !== "z" && zone !== "UTC") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2)),
      om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return null;
    ms -= sign * (oh * 60 + om) * 60_000;
  }
  return ms;
}

/** `2026-01-05T09:00:00Z` (milliseconds only when there are some), as the engine writes times. */
export function isoText(ms: number): string {
  const text = new Date(ms).toISOString();
  return text.endsWith(".000Z") ? `${text.slice(0, 19)}Z` : text;
}

export const DAY_MS = 86_400_000;

/** The engine's clock when a scenario says nothing (SPEC "Default times"). */
export const DEFAULT_START = "2026-01-01T00:00:00Z";
