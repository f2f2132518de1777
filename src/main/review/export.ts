// A slide's differential as a report (src/main/export/report builds the
// CSV, HL7, FHIR and PDF from it). Unsigned, the report is preliminary and
// carries the live counts; signed, it carries exactly the counts the sign-off
// recorded and the signer's name, date-time and meaning.
import { UNIDENTIFIED, type ReportFormat, type SlideExport } from '../../shared/review'
import {
  differentialToCsv,
  differentialToFhir,
  differentialToHl7,
  differentialToPdf,
  labTimeZone,
  reportStatus,
  type DifferentialReport,
  type Hl7Options
} from '../export/report'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { getImage } from '../store/images'
import { getModel } from '../store/models'
import { latestPredictionsOfSlide, listComments, type SignOffRow } from '../store/review'
import { getUser } from '../store/users'
import { slideOrder } from '../order/order'
import { currentSignatures } from './signoff'
import { differentialFromCounts, groupCounts, slideResults } from './differential'
import { reviewSettings } from './settings'
import { requireSlide } from './state'
import { classesOfModel, slideModel as modelOfSlide } from './slide-model'

export interface ReportOptions {
  lab?: DifferentialReport['lab']
  /** Default: now (pass it for reproducible exports). */
  reportedAt?: string
  /** IANA zone times are printed in; default: the workstation's (the lab's). */
  timeZone?: string
}

export const DEFAULT_LAB_NAME = 'Haematology laboratory'

export function buildDifferentialReport(db: Db, slideId: number, opts: ReportOptions = {}): DifferentialReport {
  const slide = requireSlide(db, slideId)
  const signatures = currentSignatures(db, slideId)
  const signed = signatures.find((s) => s.verification === 1) ?? null
  const second = signatures.find((s) => s.verification === 2) ?? null
  const counts = signed ? signed.counts : groupCounts(db, slideId)
  // The rows the slide's model calls (the eight-class model adds IG) appear even at zero, as on screen.
  const rows = classesOfModel(modelOfSlide(db, slideId))
  const diff = differentialFromCounts(slideId, counts, reviewSettings(db, slideId).targetCount, !!signed, rows)
  const reportedAt = opts.reportedAt ?? nowIso()
  // A signed report keeps the reference intervals it was signed under.
  const results = slideResults(db, slideId, diff, signed ? signed.at : nowIso())
  const order = slideOrder(db, slideId)

  const comments: string[] = []
  for (const c of listComments(db, slideId)) {
    const cell = c.imageId !== null ? getImage(db, c.imageId) : undefined
    comments.push(`${c.who}${cell ? ` on cell ${cell.fileName}` : ''}: ${c.text}`)
  }
  const notCounted = diff.notCounted.filter((r) => r.count > 0)
  if (notCounted.length) {
    comments.push(
      `Not in the count: ${notCounted.map((r) => `${r.label === UNIDENTIFIED ? 'unidentified' : r.label} ${r.count}`).join(', ')}` +
        (diff.totalCounted ? ` (per ${diff.totalCounted} leukocytes counted)` : '')
    )
  }
  if (results.basis.assumedAdult && results.lines.some((l) => l.percent.range)) {
    comments.push('Reference intervals: age unknown, adult intervals applied.')
  }
  const patient: NonNullable<DifferentialReport['patient']> = {
    ...(order.patientId ? { id: order.patientId } : {}),
    ...(order.familyName ? { familyName: order.familyName } : {}),
    ...(order.givenName ? { givenName: order.givenName } : {}),
    ...(order.birthDate ? { birthDate: order.birthDate } : {}),
    ...(order.sex ? { sex: order.sex } : {})
  }

  return {
    lab: opts.lab ?? { name: DEFAULT_LAB_NAME },
    sample: {
      sampleId: slide.sampleId,
      ...(order.orderId ? { orderId: order.orderId } : {}),
      ...(order.collectedAt ? { collectedAt: order.collectedAt } : {}),
      ...(order.location ? { location: order.location } : {})
    },
    ...(Object.keys(patient).length ? { patient } : {}),
    lines: diff.counted,
    totalCounted: diff.totalCounted,
    results,
    model: slideModel(db, slideId),
    signOff: signed ? signer(db, signed) : null,
    secondVerification: second ? signer(db, second) : null,
    awaitingSecondVerification: !!signed && !second && reviewSettings(db, slideId).secondVerification,
    comments,
    reportedAt,
    timeZone: opts.timeZone ?? labTimeZone()
  }
}

/** A signature as the report names it: the person's full name and login (the user id's, for records made with accounts). */
function signer(db: Db, s: SignOffRow): NonNullable<DifferentialReport['signOff']> {
  const user = s.userId !== null ? getUser(db, s.userId) : undefined
  return { reviewer: user?.displayName ?? s.who, ...(user ? { reviewerId: user.name } : {}), signedAt: s.at, meaning: s.meaning }
}

/** How a report names a network (the stored key is a code: "wnet"). */
const ARCHITECTURE_TITLES: Record<string, string> = {
  wnet: 'W-Net',
  'wnet-svm': 'W-Net + SVM',
  alexnet: 'AlexNet',
  vgg16: 'VGG-16',
  resnet18: 'ResNet-18',
  resnet50: 'ResNet-50',
  lstm: 'LSTM'
}

/** The model most of the slide's cells were classified by (a manual count when none), named for a reader. */
function slideModel(db: Db, slideId: number): DifferentialReport['model'] {
  const perModel = new Map<number, number>()
  for (const p of latestPredictionsOfSlide(db, slideId).values()) perModel.set(p.modelId, (perModel.get(p.modelId) ?? 0) + 1)
  const top = [...perModel.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]
  if (!top) return { name: 'none (manual classification)' }
  const model = getModel(db, top[0])
  if (!model) return { name: `model ${top[0]}` }
  const architecture = ARCHITECTURE_TITLES[model.architecture] ?? model.architecture
  const bits = { uint8: '8-bit weights', uint16: '16-bit weights', float16: '16-bit float weights', float32: null }[model.quantization] ?? null
  return { name: model.name, version: [architecture, `stored model ${model.id}`, bits].filter(Boolean).join(', ') }
}

const MIME: Record<ReportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  hl7: 'application/hl7-v2; charset=utf-8',
  fhir: 'application/fhir+json; charset=utf-8',
  pdf: 'application/pdf'
}
const EXTENSION: Record<ReportFormat, string> = { csv: 'csv', hl7: 'hl7', fhir: 'fhir.json', pdf: 'pdf' }

/** The report rendered in one format, ready to save or send. */
export async function exportSlide(
  db: Db,
  slideId: number,
  format: ReportFormat,
  opts: ReportOptions & { hl7?: Hl7Options } = {}
): Promise<SlideExport> {
  const report = buildDifferentialReport(db, slideId, opts)
  const status = reportStatus(report)
  const bytes = await render(report, format, opts.hl7)
  const safeId = report.sample.sampleId.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '') || `slide-${slideId}`
  return {
    fileName: `${safeId}-differential${status === 'preliminary' ? '-preliminary' : ''}.${EXTENSION[format]}`,
    mime: MIME[format],
    status,
    bytes
  }
}

async function render(report: DifferentialReport, format: ReportFormat, hl7?: Hl7Options): Promise<Uint8Array> {
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'))
  switch (format) {
    case 'csv':
      return utf8(differentialToCsv(report))
    case 'hl7':
      return utf8(differentialToHl7(report, hl7))
    case 'fhir':
      return utf8(JSON.stringify(differentialToFhir(report), null, 2))
    case 'pdf':
      return new Uint8Array(await differentialToPdf(report))
  }
}
