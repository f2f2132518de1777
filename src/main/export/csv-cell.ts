// One way to write a CSV cell for every CSV the workstation writes (slide
// reports, blind-session results, dataset and synthetic manifests): RFC 4180
// quoting, and neutralising text a spreadsheet would run as a formula.
//
// Why: a sample id, a comment, a class folder name or a reviewer's name comes
// from outside (an analyser's export, a typed field). Opened in Excel or
// LibreOffice, a cell starting with = + - @ (or a tab / carriage return, which
// some spreadsheets strip before looking) is evaluated: `=HYPERLINK(...)` or
// a DDE call can leak data or run a command (OWASP "CSV injection"). Such
// text gets a leading apostrophe, which spreadsheets show as text. Numbers
// written as numbers (a count, a negative z-score) are left alone: they are
// ours, not someone's text.
//
// The apostrophe is reversible for our own readers: `restoreCsvText` takes it
// off again, so `wbc export dataset` then `wbc import` gives back the same
// labels. Text that already starts with apostrophes before a trigger gets one
// more, so the round trip is exact for every string.

const TRIGGER = /^'*[=+\-@\t\r]/

/** Text as a spreadsheet must not execute it: one apostrophe in front of a formula trigger. */
export function neutraliseCsvText(text: string): string {
  return TRIGGER.test(text) ? `'${text}` : text
}

/** Undoes neutraliseCsvText (for readers of the CSVs we write). */
export function restoreCsvText(text: string): string {
  return text.startsWith("'") && TRIGGER.test(text) ? text.slice(1) : text
}

/** A CSV field: text neutralised and quoted when needed (RFC 4180); numbers, booleans and null as they are. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value !== 'string') return String(value)
  const text = neutraliseCsvText(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** One CSV line from its fields. */
export function csvRow(values: readonly (string | number | boolean | null | undefined)[]): string {
  return values.map(csvCell).join(',')
}
