// Local validation before use: how far the workstation's differential is from
// a manual differential of the same slides (a lab's reference method, e.g.
// CLSI H20-A2's 2 x 200-cell count). Per class, the Bland-Altman bias and 95%
// limits of agreement of (workstation % - manual %), and, per slide, whether
// the manual share lies inside the workstation's exact 95% interval. The
// workstation side is the slide's live differential (the same numbers the
// Review screen and the report show). docs/intended-use.md explains the use.
//
// Like is compared with like: on each slide, the classes its differential
// counts (the five; with the eight-class model also IG; and any leukocyte
// label a reviewer gave there, such as blast). A manual row of another class
// is set aside for that slide, and the manual shares are taken over the
// compared classes only. Manual promyelocytes, myelocytes and
// metamyelocytes are IG where the slide counts IG.
import { WBC_CLASSES } from '../../shared/cells'
import { CoreError } from '../errors'
import { normaliseName, parseClassName } from '../import/classes'
import { parseCsv } from '../import/manifest'
import { slideDifferential } from '../review'
import { blandAltman, type BlandAltman } from '../stats/agreement'
import type { Db } from '../store/db'
import { getSlideBySampleId } from '../store/slides'

/** One row of the manual differential file. */
export interface ManualRow {
  sampleId: string
  /** A class name the workstation knows (its canonical label); unknown names are set aside in `ignored`. */
  class: string
  /** The name as the file gave it. */
  given: string
  value: number
  line: number
}

export interface ManualCounts {
  /** Whether the values are cell counts or percentages. */
  kind: 'count' | 'percent'
  rows: ManualRow[]
  /** Rows not compared: names the workstation does not know, and classes a slide's differential does not count. */
  ignored: { line: number; sampleId: string; class: string }[]
}

/** The immature granulocytes a manual count may list one by one; the eight-class model counts them as IG. */
const IG_PARTS = new Set(['promyelocyte', 'myelocyte', 'metamyelocyte'])

const SAMPLE_COLUMNS = ['sample', 'sample id', 'sampleid', 'sample_id', 'slide', 'specimen']
const CLASS_COLUMNS = ['class', 'cell', 'cell type', 'label']
const COUNT_COLUMNS = ['count', 'manual count', 'manual', 'n', 'cells']
const PERCENT_COLUMNS = ['percent', '%', 'manual %', 'manual percent', 'pct', 'percentage']

function column(header: string[], names: string[]): number {
  return header.findIndex((h) => names.includes(h.trim().toLowerCase().replace(/_/g, ' ')) || names.includes(h.trim().toLowerCase()))
}

/**
 * Reads a manual differential: a CSV with a header naming the sample
 * (`sample`), the class (`class`, analyser names such as NE/LY accepted) and
 * either `count` or `percent`; one row per sample and class. Rows whose names
 * mean the same class (segmented and band neutrophils) are summed.
 */
export function parseManualCounts(text: string): ManualCounts {
  const [header, ...body] = parseCsv(text.replace(/^\uFEFF/, ''))
  if (!header) throw new CoreError('invalid_input', 'the manual differential file is empty')
  const s = column(header, SAMPLE_COLUMNS)
  const c = column(header, CLASS_COLUMNS)
  const n = column(header, COUNT_COLUMNS)
  const p = column(header, PERCENT_COLUMNS)
  if (s < 0 || c < 0) throw new CoreError('invalid_input', `the header must name a sample column and a class column (got: ${header.join(', ')})`)
  if ((n < 0) === (p < 0)) throw new CoreError('invalid_input', `the header must name either a count or a percent column, not ${n < 0 ? 'neither' : 'both'}`)
  const kind = n >= 0 ? 'count' : 'percent'
  const v = n >= 0 ? n : p
  const rows: ManualRow[] = []
  const ignored: ManualCounts['ignored'] = []
  const seen = new Set<string>()
  body.forEach((r, i) => {
    const line = i + 2
    const sampleId = (r[s] ?? '').trim()
    const raw = (r[c] ?? '').trim()
    if (!sampleId || !raw) throw new CoreError('invalid_input', `line ${line}: sample and class are required`)
    const parsed = parseClassName(raw)
    if (parsed.kind !== 'class') {
      ignored.push({ line, sampleId, class: raw })
      return
    }
    const cls = parsed.class
    const value = Number((r[v] ?? '').trim().replace(/%$/, ''))
    if (!Number.isFinite(value) || value < 0) throw new CoreError('invalid_input', `line ${line}: "${r[v] ?? ''}" is not a ${kind}`)
    if (kind === 'count' && !Number.isInteger(value)) throw new CoreError('invalid_input', `line ${line}: a count must be a whole number (got ${value})`)
    // Segmented and band neutrophils on two rows are both neutrophils (summed,
    // as the workstation counts them); the same name twice is a mistake.
    const key = `${sampleId}\u0000${normaliseName(raw)}`
    if (seen.has(key)) throw new CoreError('invalid_input', `line ${line}: ${sampleId} has ${raw} twice`)
    seen.add(key)
    rows.push({ sampleId, class: cls, given: raw, value, line })
  })
  if (!rows.some((r) => (WBC_CLASSES as readonly string[]).includes(r.class))) throw new CoreError('invalid_input', 'the manual differential file has no rows for the five classes')
  return { kind, rows, ignored }
}

export interface ValidationLine {
  class: string
  workstation: { count: number; percent: number; ciLow: number; ciHigh: number }
  manual: { count: number | null; percent: number }
  /** workstation % - manual %, in percentage points. */
  difference: number
  /** The manual share lies inside the workstation's exact 95% interval. */
  insideCi: boolean
}

export interface ValidationSample {
  sampleId: string
  slideId: number
  signed: boolean
  workstationTotal: number
  /** Manual cells over the compared classes (count files only). */
  manualTotal: number | null
  /** The classes compared on this slide: those its differential counts. */
  classes: string[]
  lines: ValidationLine[]
}

export interface ValidationClass extends BlandAltman {
  class: string
  /** Samples whose manual share lies inside the workstation's 95% interval. */
  insideCi: number
  outside: string[]
}

export interface ValidationReport {
  kind: ManualCounts['kind']
  samples: ValidationSample[]
  perClass: ValidationClass[]
  /** Samples in the file that were not compared, and why. */
  skipped: { sampleId: string; reason: string }[]
  ignored: ManualCounts['ignored']
}

/**
 * Compares the workstation's differential of each slide named in `manual`
 * with the manual one, over the classes that slide's differential counts
 * (module header); the rest of a sample's manual rows are reported as ignored.
 */
export function validateAgainstManual(db: Db, manual: ManualCounts, opts: { signedOnly?: boolean } = {}): ValidationReport {
  const bySample = new Map<string, ManualRow[]>()
  for (const r of manual.rows) bySample.set(r.sampleId, [...(bySample.get(r.sampleId) ?? []), r])
  const samples: ValidationSample[] = []
  const skipped: ValidationReport['skipped'] = []
  const ignored = [...manual.ignored]
  for (const [sampleId, rows] of bySample) {
    const slide = getSlideBySampleId(db, sampleId)
    if (!slide) {
      skipped.push({ sampleId, reason: 'no slide with this sample id in the store' })
      continue
    }
    const d = slideDifferential(db, slide.id)
    if (opts.signedOnly && !d.signed) {
      skipped.push({ sampleId, reason: 'not signed' })
      continue
    }
    if (d.totalCounted === 0) {
      skipped.push({ sampleId, reason: 'the workstation counted no cells on this slide (not classified?)' })
      continue
    }
    const classes = d.counted.map((l) => l.label)
    const values = new Map<string, number>()
    for (const r of rows) {
      const into = classes.includes(r.class) ? r.class : IG_PARTS.has(r.class) && classes.includes('ig') ? 'ig' : null
      if (into === null) ignored.push({ line: r.line, sampleId, class: r.given })
      else values.set(into, (values.get(into) ?? 0) + r.value)
    }
    const manualSum = classes.reduce((a, c) => a + (values.get(c) ?? 0), 0)
    if (manualSum === 0) {
      skipped.push({ sampleId, reason: `the manual differential has no cells of the classes this slide counts (${classes.join(', ')})` })
      continue
    }
    const lines = d.counted.map((w): ValidationLine => {
      const value = values.get(w.label) ?? 0
      const percent = (100 * value) / manualSum
      return {
        class: w.label,
        workstation: { count: w.count, percent: w.percent, ciLow: w.ciLow, ciHigh: w.ciHigh },
        manual: { count: manual.kind === 'count' ? value : null, percent },
        difference: w.percent - percent,
        // A hair of tolerance: the interval and the share are both computed in floating point.
        insideCi: percent >= w.ciLow - 1e-9 && percent <= w.ciHigh + 1e-9
      }
    })
    samples.push({ sampleId, slideId: slide.id, signed: d.signed, workstationTotal: d.totalCounted, manualTotal: manual.kind === 'count' ? manualSum : null, classes, lines })
  }
  // Every class some slide compared, the five first; each over the slides that compared it.
  const compared = [...new Set([...WBC_CLASSES, ...samples.flatMap((s) => s.classes)])].filter((c) => samples.some((s) => s.classes.includes(c)))
  const perClass = compared.map((cls): ValidationClass => {
    const lines = samples.flatMap((s) => s.lines.filter((l) => l.class === cls).map((line) => ({ sampleId: s.sampleId, line })))
    return {
      class: cls,
      ...blandAltman(lines.map((l) => l.line.difference)),
      insideCi: lines.filter((l) => l.line.insideCi).length,
      outside: lines.filter((l) => !l.line.insideCi).map((l) => l.sampleId)
    }
  })
  ignored.sort((a, b) => a.line - b.line)
  return { kind: manual.kind, samples, perClass, skipped, ignored }
}

const pp = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}`)

/** The report as the CLI prints it. */
export function formatValidation(r: ValidationReport): string {
  const out: string[] = []
  out.push(`${r.samples.length} slide(s) compared with the manual differential (${r.kind === 'count' ? 'counts' : 'percentages'}); differences are workstation - manual, in percentage points`)
  out.push('')
  out.push('  class        slides   bias   95% limits of agreement   manual inside workstation 95% CI')
  for (const c of r.perClass) {
    const loa = c.lower === null ? '-  (needs 2 slides)' : `${pp(c.lower)} to ${pp(c.upper)}`
    out.push(`  ${c.class.padEnd(12)} ${String(c.n).padStart(6)} ${pp(c.bias).padStart(6)}   ${loa.padEnd(24)}  ${c.insideCi}/${c.n}${c.outside.length ? `  outside: ${c.outside.join(', ')}` : ''}`)
  }
  for (const s of r.samples) {
    out.push('')
    out.push(`${s.sampleId}: workstation ${s.workstationTotal} cells${s.signed ? ', signed' : ', NOT signed'}${s.manualTotal !== null ? `; manual ${s.manualTotal} cells` : ''}`)
    for (const l of s.lines)
      out.push(
        `  ${l.class.padEnd(12)} ${l.workstation.percent.toFixed(1).padStart(5)}% (${l.workstation.ciLow.toFixed(1)}-${l.workstation.ciHigh.toFixed(1)}%)  manual ${l.manual.percent.toFixed(1).padStart(5)}%  ${pp(l.difference).padStart(6)}${l.insideCi ? '' : '  outside CI'}`
      )
  }
  for (const s of r.skipped) out.push(`skipped ${s.sampleId}: ${s.reason}`)
  if (r.ignored.length) out.push(`not compared (a class the slide's differential does not count, or an unknown name): ${[...new Set(r.ignored.map((i) => i.class))].join(', ')}`)
  return out.join('\n')
}
