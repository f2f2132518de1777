// CSV export of a slide's differential: a short "key,value" header block
// (sample, status, sign-off) then a blank line and one row per class. Fields
// are quoted per RFC 4180 so commas or quotes in ids and names survive, and
// text a spreadsheet would run as a formula is neutralised (../csv-cell).

import { csvRow as row } from '../csv-cell'
import { formatAbsolute, formatPercent, modelLabel } from './format'
import { reportStatus, type DifferentialReport } from './types'

export function differentialToCsv(report: DifferentialReport): string {
  const status = reportStatus(report)
  const header: [string, string | number][] = [
    ['sample_id', report.sample.sampleId],
    ['order_id', report.sample.orderId ?? ''],
    ['patient_id', report.patient?.id ?? ''],
    ['patient_family_name', report.patient?.familyName ?? ''],
    ['patient_given_name', report.patient?.givenName ?? ''],
    ['birth_date', report.patient?.birthDate ?? ''],
    ['sex', report.patient?.sex ?? ''],
    ['location', report.sample.location ?? ''],
    ['collected_at', report.sample.collectedAt ?? ''],
    ['wbc_x10e9_per_l', report.results?.wbc ? formatAbsolute(report.results.wbc.measured) : ''],
    ['wbc_nrbc_corrected_x10e9_per_l', report.results?.wbc?.corrected != null ? formatAbsolute(report.results.wbc.corrected) : ''],
    ['reference_intervals', report.results ? `${report.results.basis.table}: ${report.results.basis.source}` : ''],
    ['status', status],
    ['total_counted', report.totalCounted],
    ['model', modelLabel(report.model)],
    ['reviewer', report.signOff?.reviewer ?? ''],
    ['signed_at', report.signOff?.signedAt ?? ''],
    ['sign_off_meaning', report.signOff?.meaning ?? ''],
    ['second_verifier', report.secondVerification?.reviewer ?? (report.awaitingSecondVerification ? 'awaited' : '')],
    ['second_verified_at', report.secondVerification?.signedAt ?? ''],
    ['second_verification_meaning', report.secondVerification?.meaning ?? ''],
    ['reported_at', report.reportedAt]
  ]
  const lines = header.map(([k, v]) => row([k, v]))
  for (const comment of report.comments) lines.push(row(['comment', comment]))
  lines.push('')
  lines.push(row(['class', 'count', 'percent', 'ci_low', 'ci_high', 'percent_reference', 'percent_flag', 'absolute_x10e9_per_l', 'absolute_reference', 'absolute_flag']))
  report.lines.forEach((line, i) => {
    const r = report.results?.lines[i]?.label === line.label ? report.results.lines[i] : undefined
    lines.push(
      row([
        line.label,
        line.count,
        formatPercent(line.percent),
        formatPercent(line.ciLow),
        formatPercent(line.ciHigh),
        r?.percent.range?.text ?? '',
        r?.percent.flag ?? '',
        r?.absolute ? formatAbsolute(r.absolute.value) : '',
        r?.absolute?.range?.text ?? '',
        r?.absolute?.flag ?? ''
      ])
    )
  })
  if (report.results?.perHundredWbc.length) {
    lines.push('')
    lines.push(row(['not_leukocyte', 'count', 'per_100_wbc', 'reference', 'flag']))
    for (const o of report.results.perHundredWbc) lines.push(row([o.label, o.count, formatPercent(o.per100), o.range?.text ?? '', o.flag ?? '']))
  }
  return lines.join('\r\n') + '\r\n'
}
