// HL7 v2.5.1 ORU^R01 message of a slide's differential: MSH, PID (when the
// patient is known), PV1 (when the ordering location is), ORC, OBR for the
// differential panel, then one OBX per class with its count and 95% CI in an
// NTE, its reference range (OBX-7) and flag (OBX-8); with the WBC count, the
// WBC (and NRBC-corrected WBC) and one absolute-count OBX per class; then the
// non-leukocyte objects per 100 WBC. Result status is F once a reviewer has
// signed, P before, C for a final report that corrects one sent before.
// Segments end with a carriage return, as the standard requires (not LF).

import { createHash } from 'node:crypto'
import type { AppliedRange, ResultFlag } from '../../../shared/ranges'
import { formatAbsolute, formatLabTime, formatPercent, modelLabel } from './format'
import {
  absoluteCode, DIFFERENTIAL_PANEL, LOCAL_HL7_CODING_SYSTEM, lineCode, per100WbcCode, UNITS, WBC_CORRECTED_LOINC, WBC_COUNT_LOINC
} from './loinc'
import { reportStatus, type DifferentialReport } from './types'

export interface Hl7Options {
  sendingApplication?: string
  receivingApplication?: string
  receivingFacility?: string
  /** MSH-10; by default derived from the sample id and report time, so a re-export is recognisable. */
  messageControlId?: string
  /** MSH-11: P production, T training, D debugging. */
  processingId?: 'P' | 'T' | 'D'
  /**
   * The report replaces a final result the receiver already holds (the slide
   * was signed, reopened and signed again): OBR-25 and every OBX-11 become C.
   * Ignored for a preliminary report.
   */
  correction?: boolean
}

/**
 * Escapes text for an HL7 v2 field with the default delimiters |^~\&. The
 * escape character goes first so the escapes added after it are not escaped
 * again. Line breaks have no place inside a field; they become spaces.
 */
export function escapeHl7(text: string): string {
  return text
    .replace(/\\/g, '\\E\\')
    .replace(/\|/g, '\\F\\')
    .replace(/\^/g, '\\S\\')
    .replace(/&/g, '\\T\\')
    .replace(/~/g, '\\R\\')
    .replace(/[\r\n]+/g, ' ')
}

/**
 * ISO 8601 -> HL7 DTM (YYYYMMDD[HHMM[SS]][+ZZZZ]). The wall-clock time and
 * offset are kept as written rather than converted to UTC, because the lab
 * reads collection times in its own zone.
 */
export function toHl7DateTime(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso.trim())
  if (!m) throw new RangeError(`not an ISO 8601 date-time: "${iso}"`)
  const [, y, mo, d, h, mi, s, zone] = m
  let out = `${y}${mo}${d}`
  if (h !== undefined) out += `${h}${mi}${s ?? '00'}`
  if (zone !== undefined && h !== undefined) out += zone === 'Z' ? '+0000' : zone.replace(':', '')
  return out
}

function segment(fields: (string | undefined)[]): string {
  let end = fields.length
  while (end > 1 && !fields[end - 1]) end--
  return fields.slice(0, end).map((f) => f ?? '').join('|')
}

export function differentialToHl7(report: DifferentialReport, options: Hl7Options = {}): string {
  const status = reportStatus(report)
  const resultStatus = status === 'final' ? (options.correction ? 'C' : 'F') : 'P'
  const lab = escapeHl7(report.lab.name) + (report.lab.id ? `^${escapeHl7(report.lab.id)}` : '')
  const controlId =
    options.messageControlId ??
    createHash('sha256').update(`${report.sample.sampleId}\n${report.reportedAt}`).digest('hex').slice(0, 20).toUpperCase()
  const segments: string[] = []

  // MSH-1 is the field separator itself, so MSH-2 (encoding characters) is the
  // first element after the segment name.
  segments.push(
    segment([
      'MSH',
      '^~\\&',
      escapeHl7(options.sendingApplication ?? 'WBC Workstation'),
      lab,
      escapeHl7(options.receivingApplication ?? ''),
      escapeHl7(options.receivingFacility ?? ''),
      toHl7DateTime(report.reportedAt),
      '',
      'ORU^R01^ORU_R01',
      escapeHl7(controlId),
      options.processingId ?? 'P',
      '2.5.1'
    ])
  )

  const patient = report.patient
  if (patient && (patient.id || patient.familyName || patient.givenName)) {
    const pid = new Array<string>(9).fill('')
    pid[0] = 'PID'
    pid[1] = '1'
    if (patient.id) pid[3] = `${escapeHl7(patient.id)}^^^${escapeHl7(report.lab.name)}^MR`
    pid[5] = [patient.familyName, patient.givenName].map((p) => escapeHl7(p ?? '')).join('^')
    if (patient.birthDate) pid[7] = toHl7DateTime(patient.birthDate)
    if (patient.sex) pid[8] = patient.sex
    segments.push(segment(pid))
  }
  if (report.sample.location) {
    // PV1-2 patient class U (unknown): the workstation knows the ward, not the encounter; PV1-3 point of care.
    segments.push(segment(['PV1', '1', 'U', escapeHl7(report.sample.location)]))
  }

  const placer = report.sample.orderId ? escapeHl7(report.sample.orderId) : ''
  const filler = `${escapeHl7(report.sample.sampleId)}^${escapeHl7(report.lab.name)}`
  segments.push(segment(['ORC', 'RE', placer, filler]))

  const collected = report.sample.collectedAt ? toHl7DateTime(report.sample.collectedAt) : ''
  const obr = new Array<string>(33).fill('')
  obr[0] = 'OBR'
  obr[1] = '1'
  obr[2] = placer
  obr[3] = filler
  obr[4] = `${DIFFERENTIAL_PANEL.code}^${escapeHl7(DIFFERENTIAL_PANEL.display)}^LN`
  obr[7] = collected
  obr[22] = toHl7DateTime(report.reportedAt)
  obr[24] = 'HM'
  obr[25] = resultStatus
  // OBR-32 principal result interpreter and OBR-33 assistant result interpreter (NDL):
  // the person (CNN: id & name) is the first component, the time of their signature the second.
  const interpreter = (s: NonNullable<DifferentialReport['signOff']>) =>
    `${escapeHl7(s.reviewerId ?? '')}&${escapeHl7(s.reviewer)}^${toHl7DateTime(s.signedAt)}`
  if (report.signOff) obr[32] = interpreter(report.signOff)
  if (report.secondVerification) obr[33] = interpreter(report.secondVerification)
  segments.push(segment(obr))

  const notes: string[] = []
  if (resultStatus === 'C') notes.push('CORRECTED REPORT: replaces the final result sent before for this sample.')
  if (report.signOff) {
    notes.push(`Signed off by ${report.signOff.reviewer} at ${formatLabTime(report.signOff.signedAt, report.timeZone)}: ${report.signOff.meaning}`)
    if (report.secondVerification) {
      notes.push(`Second verification by ${report.secondVerification.reviewer} at ${formatLabTime(report.secondVerification.signedAt, report.timeZone)}: ${report.secondVerification.meaning}`)
    } else if (report.awaitingSecondVerification) {
      notes.push('PRELIMINARY: awaiting the second verification by another verifier.')
    }
  } else {
    notes.push('PRELIMINARY: not signed off by a reviewer.')
  }
  const model = modelLabel(report.model)
  notes.push(`Cells counted: ${report.totalCounted}. Classified by model ${model}.`)
  for (const comment of report.comments) notes.push(...comment.split(/\r\n|\r|\n/))
  notes.forEach((note, i) => segments.push(segment(['NTE', String(i + 1), 'L', escapeHl7(note)])))

  const results = report.results
  let setId = 0
  const obx = (
    code: { system: 'loinc' | 'local'; code: string; display: string },
    value: string,
    unit: { code: string; display: string },
    range?: AppliedRange | null,
    flag?: ResultFlag | null
  ) => {
    const fields = new Array<string>(17).fill('')
    fields[0] = 'OBX'
    fields[1] = String(++setId)
    fields[2] = 'NM'
    fields[3] = `${escapeHl7(code.code)}^${escapeHl7(code.display)}^${code.system === 'loinc' ? 'LN' : LOCAL_HL7_CODING_SYSTEM}`
    fields[5] = value
    fields[6] = `${escapeHl7(unit.code)}^${escapeHl7(unit.display)}^UCUM`
    if (range?.text) fields[7] = escapeHl7(range.text)
    // OBX-8 (table 0078): N when a range was applied and the result is inside it.
    if (range) fields[8] = flag ?? 'N'
    fields[11] = resultStatus
    fields[14] = collected
    // OBX-16 responsible observer (XCN, repeating): each verifier.
    if (report.signOff) {
      fields[16] = [report.signOff, report.secondVerification]
        .filter((x): x is NonNullable<typeof x> => !!x)
        .map((x) => `${escapeHl7(x.reviewerId ?? '')}^${escapeHl7(x.reviewer)}`)
        .join('~')
    }
    segments.push(segment(fields))
  }
  const note = (text: string) => segments.push(segment(['NTE', '1', 'L', escapeHl7(text)]))

  report.lines.forEach((line, i) => {
    const lab = results?.lines[i]?.label === line.label ? results.lines[i] : undefined
    obx(lineCode(line.label), formatPercent(line.percent), UNITS.percent, lab?.percent.range, lab?.percent.flag)
    note(`${line.count} of ${report.totalCounted} cells; 95% CI ${formatPercent(line.ciLow)}-${formatPercent(line.ciHigh)} % (exact binomial)`)
  })

  if (results?.wbc) {
    const wbc = results.wbc
    const measuredFlag = wbc.corrected === null ? wbc.flag : null
    obx({ system: 'loinc', ...WBC_COUNT_LOINC }, formatAbsolute(wbc.measured), UNITS.absolute, wbc.corrected === null ? wbc.range : null, measuredFlag)
    if (wbc.corrected !== null) {
      obx({ system: 'loinc', ...WBC_CORRECTED_LOINC }, formatAbsolute(wbc.corrected), UNITS.absolute, wbc.range, wbc.flag)
      note('WBC corrected for nucleated red cells: WBC x 100 / (100 + NRBC per 100 WBC); absolute counts use it.')
    } else if (wbc.correctedByAnalyser) {
      note("The analyser's WBC count already excludes nucleated red cells: not corrected again; absolute counts use it.")
    }
    for (const line of results.lines) {
      if (line.absolute) obx(absoluteCode(line.label), formatAbsolute(line.absolute.value), UNITS.absolute, line.absolute.range, line.absolute.flag)
    }
  }
  for (const other of results?.perHundredWbc ?? []) {
    obx(per100WbcCode(other.label), formatPercent(other.per100), UNITS.per100Wbc, other.range, other.flag)
    note(`${other.count} seen beside ${report.totalCounted} leukocytes counted`)
  }

  return segments.join('\r') + '\r'
}
