// CSV export of a slide's differential: a short "key,value" header block
// (sample, status, sign-off) then a blank line and one row per class. Fields
// are quoted per RFC 4180 so commas or quotes in ids and names survive, and
// text a spreadsheet would run as a formula is neutralised (../csv-cell).

import { csvRow as row } from '../csv-cell'
import { formatPercent } from './format'
import { reportStatus, type DifferentialReport } from './types'

export function differentialToCsv(report: DifferentialReport): string {
  const status = reportStatus(report)
  const header: [string, string | number][] = [
    ['sample_id', report.sample.sampleId],
    ['order_id', report.sample.orderId ?? ''],
    ['patient_id', report.patient?.id ?? ''],
    ['collected_at', report.sample.collectedAt ?? ''],
    ['status', status],
    ['total_counted', report.totalCounted],
    ['model', [report.model.name, report.model.version].filter(Boolean).join(' ')],
    ['reviewer', report.signOff?.reviewer ?? ''],
    ['signed_at', report.signOff?.signedAt ?? ''],
    ['sign_off_meaning', report.signOff?.meaning ?? ''],
    ['reported_at', report.reportedAt]
  ]
  const lines = header.map(([k, v]) => row([k, v]))
  for (const comment of report.comments) lines.push(row(['comment', comment]))
  lines.push('')
  lines.push(row(['class', 'count', 'percent', 'ci_low', 'ci_high']))
  for (const line of report.lines) {
    lines.push(row([line.label, line.count, formatPercent(line.percent), formatPercent(line.ciLow), formatPercent(line.ciHigh)]))
  }
  return lines.join('\r\n') + '\r\n'
}
