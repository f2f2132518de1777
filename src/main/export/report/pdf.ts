// Printable PDF report of a slide's differential (A4, pdfkit): lab, patient
// and order header, the count table with 95% CIs, reference intervals, flags
// and absolute counts, the WBC (NRBC-corrected) and the non-leukocyte objects
// per 100 WBC, model, comments, and the reviewer's sign-off, or a PRELIMINARY
// banner and watermark when nobody has signed.

import PDFDocument from 'pdfkit'
import type { FlaggedValue } from '../../../shared/ranges'
import { capitalise, formatAbsolute, formatLabTime, formatPercent, modelLabel } from './format'
import { reportStatus, type DifferentialReport } from './types'

const MARGIN = 50
const COLUMNS = [
  { title: 'Class', width: 100, align: 'left' as const },
  { title: 'Count', width: 40, align: 'right' as const },
  { title: '%', width: 42, align: 'right' as const },
  { title: '95% CI (%)', width: 78, align: 'right' as const },
  { title: 'Ref. %', width: 52, align: 'right' as const },
  { title: 'Flag', width: 30, align: 'center' as const },
  { title: 'x10^9/L', width: 50, align: 'right' as const },
  { title: 'Ref. x10^9/L', width: 68, align: 'right' as const },
  { title: 'Flag', width: 30, align: 'center' as const }
]

const SEX_WORDS = { F: 'female', M: 'male', O: 'other', U: 'unknown' } as const

function flagCells(v: FlaggedValue | null | undefined, format: (n: number) => string): [string, string, string] {
  if (!v) return ['', '', '']
  return [format(v.value), v.range?.text ?? '', v.flag ?? '']
}

/** Renders the report; resolves with the PDF bytes. */
export function differentialToPdf(report: DifferentialReport): Promise<Buffer> {
  const status = reportStatus(report)
  const reportedAt = new Date(report.reportedAt)
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: {
      Title: `WBC differential ${report.sample.sampleId}${status === 'preliminary' ? ' (PRELIMINARY)' : ''}`,
      Author: report.lab.name,
      Creator: 'WBC Workstation',
      // A fixed creation date keeps re-exports of the same report identical.
      ...(Number.isNaN(reportedAt.getTime()) ? {} : { CreationDate: reportedAt })
    }
  })
  const chunks: Buffer[] = []
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })

  const width = doc.page.width - 2 * MARGIN

  if (status === 'preliminary') {
    // Watermark first, so the content prints over it.
    doc.save()
    doc.rotate(-35, { origin: [doc.page.width / 2, doc.page.height / 2] })
    doc.fillColor('#d0d0d0').font('Helvetica-Bold').fontSize(80)
    doc.text('PRELIMINARY', 0, doc.page.height / 2 - 40, { width: doc.page.width, align: 'center', lineBreak: false })
    doc.restore()
    doc.x = MARGIN
    doc.y = MARGIN
  }

  doc.fillColor('black').font('Helvetica-Bold').fontSize(16).text(report.lab.name, { width })
  doc.font('Helvetica').fontSize(12).text('White blood cell differential count', { width })
  doc.moveDown(0.5)
  if (status === 'preliminary') {
    doc.font('Helvetica-Bold').fontSize(13).fillColor('#b00020')
    doc.text(report.signOff ? 'PRELIMINARY - awaiting the second verification' : 'PRELIMINARY - not signed off by a reviewer', { width })
    doc.fillColor('black')
  } else {
    doc.font('Helvetica-Bold').fontSize(13).text('FINAL', { width })
  }
  doc.moveDown(0.5)

  const facts: [string, string][] = [['Sample', report.sample.sampleId]]
  if (report.sample.orderId) facts.push(['Order', report.sample.orderId])
  const p = report.patient
  if (p?.id) facts.push(['Patient id', p.id])
  const name = [p?.familyName, p?.givenName].filter(Boolean).join(', ')
  if (name) facts.push(['Patient', name])
  if (p?.birthDate) facts.push(['Born', p.birthDate])
  if (p?.sex) facts.push(['Sex', SEX_WORDS[p.sex]])
  if (report.sample.location) facts.push(['Location', report.sample.location])
  if (report.sample.collectedAt) facts.push(['Collected', formatLabTime(report.sample.collectedAt, report.timeZone)])
  const lab = report.results
  if (lab?.wbc) {
    const w = lab.wbc
    facts.push([w.correctedByAnalyser ? 'WBC (analyser, NRBC excluded)' : 'WBC (analyser)', `${formatAbsolute(w.measured)} x10^9/L${w.corrected === null && w.flag ? ` ${w.flag}` : ''}${w.corrected === null && w.range ? ` (ref. ${w.range.text})` : ''}`])
    if (w.corrected !== null) {
      facts.push(['WBC corrected for NRBC', `${formatAbsolute(w.corrected)} x10^9/L${w.flag ? ` ${w.flag}` : ''}${w.range ? ` (ref. ${w.range.text})` : ''}`])
    }
  }
  facts.push(['Reported', formatLabTime(report.reportedAt, report.timeZone)])
  facts.push(['Model', modelLabel(report.model)])
  facts.push(['Cells counted', String(report.totalCounted)])
  doc.fontSize(10)
  for (const [key, value] of facts) {
    doc.font('Helvetica-Bold').text(`${key}: `, { continued: true }).font('Helvetica').text(value)
  }
  doc.moveDown(1)

  drawRow(doc, COLUMNS.map((c) => c.title), true)
  report.lines.forEach((line, i) => {
    const r = lab?.lines[i]?.label === line.label ? lab.lines[i] : undefined
    const [, refPercent, flagPercent] = flagCells(r?.percent, formatPercent)
    drawRow(
      doc,
      [
        capitalise(line.label),
        String(line.count),
        formatPercent(line.percent),
        `${formatPercent(line.ciLow)} - ${formatPercent(line.ciHigh)}`,
        refPercent,
        flagPercent,
        ...flagCells(r?.absolute, formatAbsolute)
      ],
      false,
      !!(r?.percent.flag || r?.absolute?.flag)
    )
  })
  if (lab?.perHundredWbc.length) {
    doc.moveDown(0.5)
    doc.font('Helvetica-Bold').fontSize(10).text('Not leukocytes: per 100 WBC counted', MARGIN, doc.y, { width })
    for (const o of lab.perHundredWbc) {
      drawRow(doc, [capitalise(o.label), String(o.count), formatPercent(o.per100), '', o.range?.text ?? '', o.flag ?? '', '', '', ''], false, !!o.flag)
    }
  }
  doc.x = MARGIN
  doc.moveDown(0.5)
  doc.font('Helvetica').fontSize(8).fillColor('#444444')
  doc.text('Confidence intervals: exact binomial (Clopper-Pearson), as in Rümke\'s table for differential counts.', MARGIN, doc.y, { width })
  if (lab) {
    doc.text(
      `Flags: H high, L low, HH / LL beyond the critical limits. Reference intervals: ${lab.basis.table}${lab.basis.assumedAdult ? ' (age unknown: adult intervals)' : ''}; source: ${lab.basis.source}.` +
        (lab.wbc
          ? ' Absolute counts = % x WBC' +
            (lab.wbc.corrected !== null
              ? ' corrected for nucleated red cells (WBC x 100 / (100 + NRBC per 100 WBC)).'
              : lab.wbc.correctedByAnalyser
                ? " (the analyser's count, which already excludes nucleated red cells: not corrected again)."
                : '.')
          : ' No WBC count known: no absolute counts.'),
      MARGIN,
      doc.y,
      { width }
    )
  }
  doc.fillColor('black')
  doc.moveDown(1)

  if (report.comments.length > 0) {
    doc.font('Helvetica-Bold').fontSize(10).text('Comments', { width })
    doc.font('Helvetica').fontSize(10)
    for (const comment of report.comments) doc.text(comment, { width })
    doc.moveDown(1)
  }

  doc.font('Helvetica-Bold').fontSize(10).text('Sign-off', { width })
  doc.font('Helvetica').fontSize(10)
  if (report.signOff) {
    doc.text(`Verified by ${report.signOff.reviewer}${report.signOff.reviewerId ? ` (${report.signOff.reviewerId})` : ''}, ${formatLabTime(report.signOff.signedAt, report.timeZone)}`, { width })
    doc.text(report.signOff.meaning, { width })
    if (report.secondVerification) {
      doc.moveDown(0.5)
      doc.text(`Second verification by ${report.secondVerification.reviewer}${report.secondVerification.reviewerId ? ` (${report.secondVerification.reviewerId})` : ''}, ${formatLabTime(report.secondVerification.signedAt, report.timeZone)}`, { width })
      doc.text(report.secondVerification.meaning, { width })
    } else if (report.awaitingSecondVerification) {
      doc.fillColor('#b00020').text('PRELIMINARY: awaiting the second verification by another verifier.', { width }).fillColor('black')
    }
  } else {
    doc.fillColor('#b00020').text('PRELIMINARY: this count has not been reviewed and signed.', { width }).fillColor('black')
  }

  doc.end()
  return done
}

function drawRow(doc: PDFKit.PDFDocument, cells: string[], header: boolean, flagged = false): void {
  const y = doc.y
  let x = MARGIN
  // A flagged row is bold, so it stands out in print without colour.
  doc.font(header || flagged ? 'Helvetica-Bold' : 'Helvetica').fontSize(header ? 9 : 10)
  cells.forEach((cell, i) => {
    const column = COLUMNS[i] as (typeof COLUMNS)[number]
    doc.text(cell, x + 4, y + 3, { width: column.width - 8, align: column.align, lineBreak: false })
    x += column.width
  })
  const rowHeight = 18
  const total = COLUMNS.reduce((s, c) => s + c.width, 0)
  doc.lineWidth(header ? 1 : 0.3).moveTo(MARGIN, y + rowHeight).lineTo(MARGIN + total, y + rowHeight).stroke()
  doc.x = MARGIN
  doc.y = y + rowHeight
}
