// Number and label formatting shared by the exports, so a percentage reads the
// same in the CSV, the HL7 message, the FHIR bundle and the printed report.
import { cellLabelTitle } from '../../../shared/cells'

/** Percentages to one decimal, the precision of Rümke's table. */
export function formatPercent(value: number): string {
  return value.toFixed(1)
}

/** Rounds as formatPercent does, as a number (for FHIR valueQuantity). */
export function roundPercent(value: number): number {
  return Math.round(value * 10) / 10
}

/** A label as it reads in a report: capitalised, abbreviations in capitals ("IG"). */
export function capitalise(label: string): string {
  return cellLabelTitle(label)
}

/** Absolute counts (x10^9/L) to two decimals, the precision of the analyser's differential. */
export function formatAbsolute(value: number): string {
  return value.toFixed(2)
}

/** The time zone the workstation runs in (the lab's), e.g. "Europe/Berlin". */
export function labTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

/**
 * An ISO 8601 instant as a person in the lab reads it: local date and time in
 * the lab's zone, with the zone and its offset, e.g.
 * "2026-12-06 00:09:57 Europe/Berlin (UTC+01:00)". Unparseable text is
 * returned as it is rather than hidden.
 */
export function formatLabTime(iso: string, timeZone: string = labTimeZone()): string {
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return iso
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset'
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value])
  )
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT$/, 'GMT+00:00').replace('GMT', 'UTC')
  const zone = /^(Etc\/)?(UTC|GMT|Zulu|UCT)$/i.test(timeZone) ? 'UTC' : `${timeZone} (${offset})`
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${zone}`
}

/** A model named so a reader of the report knows it: "wnet-pbc (W-Net, stored model 1, 8-bit weights)". */
export function modelLabel(model: { name: string; version?: string }): string {
  return model.version ? `${model.name} (${model.version})` : model.name
}
