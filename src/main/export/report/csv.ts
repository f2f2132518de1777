// CSV export of a slide's differential: a short "key,value" header block
// (sample, status, sign-off) then a blank line and one row per class. Fields
// are quoted per RFC 4180 so commas or quotes in ids and names survive.

import { formatPercent } from './format'
import { reportStatus, type DifferentialReport } from './types'

function field(value: string | number): string {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

function row(values: (string | number)[]): string {
  return values.map(field).join(',')
}

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
