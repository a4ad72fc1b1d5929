// Numbers and times as an administrator reads them.
const integer = new Intl.NumberFormat("en-US");
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

export const fmt = (n: number): string => integer.format(n);
export const pct = (x: number): string => percent.format(x);

/** `2026-04-01T09:00:00Z` → `2026-04-01 09:00 UTC`. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** "1 account" / "3 accounts". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${fmt(n)} ${n === 1 ? one : many}`;
}
