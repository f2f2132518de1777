// Order files: a LIS worklist (one row per sample, matched to slides by
// sample id) and the per-slide manifest an analyser export carries (the same
// columns, or "field,value" lines; inside a slide folder the sample id may be
// left out). Column names are matched case- and space-insensitively against
// the aliases in ./fields. Rows are read whole before anything is written.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { OrderField, OrderImportReport } from '../../shared/order'
import { parseCsv } from '../import/manifest'
import type { Db } from '../store/db'
import { getSlideBySampleId } from '../store/slides'
import { normaliseOrderValue, orderColumn, OrderValueError, splitPatientName, type OrderColumn } from './fields'
import { applyImportedOrder } from './order'

export interface OrderRow {
  /** 1-based line in the file. */
  line: number
  sampleId?: string
  values: Map<OrderField, string>
  problems: string[]
}

export interface OrderFile {
  path: string
  layout: 'table' | 'field-value'
  rows: OrderRow[]
}

/** Cells of one row, by column, read into normalised values (problems listed, not thrown). */
function readRow(line: number, cells: [OrderColumn, string][]): OrderRow {
  const row: OrderRow = { line, values: new Map(), problems: [] }
  for (const [column, raw] of cells) {
    const value = raw.trim()
    if (!value) continue
    if (column === 'sampleId') {
      row.sampleId = value
      continue
    }
    if (column === 'patientName') {
      const { familyName, givenName } = splitPatientName(value)
      // Separate family / given columns win over a whole-name column.
      if (familyName && !cells.some(([c, v]) => c === 'familyName' && v.trim())) row.values.set('familyName', familyName)
      if (givenName && !cells.some(([c, v]) => c === 'givenName' && v.trim())) row.values.set('givenName', givenName)
      continue
    }
    try {
      const normal = normaliseOrderValue(column, value)
      if (normal !== null) row.values.set(column, normal)
    } catch (err) {
      if (err instanceof OrderValueError) row.problems.push(`${column}: ${err.message}`)
      else throw err
    }
  }
  return row
}

/** Parses order-file text; undefined when it names no order column (not an order file). */
export function parseOrderFile(text: string, path = ''): OrderFile | undefined {
  const records = parseCsv(text.replace(/^\uFEFF/, ''))
  if (records.length === 0) return undefined
  const header = records[0]!.map((h) => orderColumn(h))
  const known = header.filter((c): c is OrderColumn => c !== undefined && c !== 'sampleId')
  if (known.length > 0) {
    const rows = records.slice(1).map((r, i) =>
      readRow(
        i + 2,
        header.flatMap((c, j): [OrderColumn, string][] => (c ? [[c, r[j] ?? '']] : []))
      )
    )
    return { path, layout: 'table', rows: rows.filter((r) => r.sampleId !== undefined || r.values.size > 0 || r.problems.length > 0) }
  }
  // "field,value" lines (an export's slide information): at least two known field names down the first column.
  const pairs = records.flatMap((r): [OrderColumn, string][] => {
    const c = r.length >= 2 ? orderColumn(r[0]!) : undefined
    return c ? [[c, r[1] ?? '']] : []
  })
  if (pairs.filter(([c]) => c !== 'sampleId').length >= 2 || (pairs.length >= 2 && pairs.some(([c]) => c === 'sampleId'))) {
    return { path, layout: 'field-value', rows: [readRow(1, pairs)] }
  }
  return undefined
}

export function readOrderFile(path: string): OrderFile | undefined {
  return parseOrderFile(readFileSync(path, 'utf8'), path)
}

export function emptyOrderImportReport(): OrderImportReport {
  return { rows: 0, updated: [], unmatched: [], signed: [], keptReviewerValues: [], problems: [] }
}

/**
 * Writes the rows of an order file to the slides they name, in one
 * transaction. `defaultSampleId`: the slide of the folder a per-slide
 * manifest sits in (for rows that name none). Adds to `report`.
 */
export function applyOrderFile(
  db: Db,
  file: OrderFile,
  opts: { source: 'manifest' | 'worklist'; who: string; defaultSampleId?: string; resolveSlide?: (sampleId: string) => number | undefined },
  report: OrderImportReport = emptyOrderImportReport()
): OrderImportReport {
  const slideOf = opts.resolveSlide ?? ((s: string) => getSlideBySampleId(db, s)?.id)
  const why = `${opts.source} ${basename(file.path) || '(pasted)'}`
  db.transaction(() => {
    for (const row of file.rows) {
      for (const p of row.problems) report.problems.push({ line: row.line, message: `${basename(file.path)} line ${row.line}: ${p}` })
      const sampleId = row.sampleId ?? opts.defaultSampleId
      if (!sampleId) {
        report.problems.push({ line: row.line, message: `${basename(file.path)} line ${row.line}: no sample id` })
        continue
      }
      report.rows++
      const slideId = slideOf(sampleId)
      if (slideId === undefined) {
        if (!report.unmatched.includes(sampleId)) report.unmatched.push(sampleId)
        continue
      }
      const r = applyImportedOrder(db, slideId, row.values, opts.source, opts.who, `${why} line ${row.line}`)
      if (r.signed) {
        if (!report.signed.includes(sampleId)) report.signed.push(sampleId)
        continue
      }
      if (r.changed.length && !report.updated.includes(sampleId)) report.updated.push(sampleId)
      for (const k of r.kept) report.keptReviewerValues.push({ sampleId, ...k })
    }
  }).immediate()
  return report
}

/** `wbc worklist import FILE` and the API's worklist import: every row matched to a slide by sample id. */
export function importWorklist(db: Db, file: OrderFile, who: string): OrderImportReport {
  return applyOrderFile(db, file, { source: 'worklist', who })
}
