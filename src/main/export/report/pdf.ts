// Printable PDF report of a slide's differential (A4, pdfkit): lab and sample
// header, the count table with 95% CIs, model, comments, and the reviewer's
// sign-off, or a PRELIMINARY banner and watermark when nobody has signed.

import PDFDocument from 'pdfkit'
import { capitalise, formatPercent } from './format'
import { reportStatus, type DifferentialReport } from './types'

const MARGIN = 50
const COLUMNS = [
  { title: 'Class', width: 170, align: 'left' as const },
  { title: 'Count', width: 70, align: 'right' as const },
  { title: '%', width: 70, align: 'right' as const },
  { title: '95% CI (%)', width: 120, align: 'right' as const }
]

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
    doc.text('PRELIMINARY - not signed off by a reviewer', { width })
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
  if (report.sample.collectedAt) facts.push(['Collected', report.sample.collectedAt])
  facts.push(['Reported', report.reportedAt])
  facts.push(['Model', [report.model.name, report.model.version].filter(Boolean).join(' ')])
  facts.push(['Cells counted', String(report.totalCounted)])
  doc.fontSize(10)
  for (const [key, value] of facts) {
    doc.font('Helvetica-Bold').text(`${key}: `, { continued: true }).font('Helvetica').text(value)
  }
  doc.moveDown(1)

  drawRow(doc, COLUMNS.map((c) => c.title), true)
  for (const line of report.lines) {
    drawRow(doc, [capitalise(line.label), String(line.count), formatPercent(line.percent), `${formatPercent(line.ciLow)} - ${formatPercent(line.ciHigh)}`], false)
  }
  doc.x = MARGIN
  doc.moveDown(0.5)
  doc.font('Helvetica').fontSize(8).fillColor('#444444')
  doc.text('Confidence intervals: exact binomial (Clopper-Pearson), as in Rümke\'s table for differential counts.', MARGIN, doc.y, { width })
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
    doc.text(`${report.signOff.reviewer}, ${report.signOff.signedAt}`, { width })
    doc.text(report.signOff.meaning, { width })
  } else {
    doc.fillColor('#b00020').text('PRELIMINARY: this count has not been reviewed and signed.', { width }).fillColor('black')
  }

  doc.end()
  return done
}

function drawRow(doc: PDFKit.PDFDocument, cells: string[], header: boolean): void {
  const y = doc.y
  let x = MARGIN
  doc.font(header ? 'Helvetica-Bold' : 'Helvetica').fontSize(10)
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
