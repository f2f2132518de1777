// Optional CSV manifests beside the images: one row per file with its class
// and, optionally, its slide. Header names are matched loosely (file /
// filename / path / image; class / label; slide / sample / sample_id).
import { readFileSync } from 'node:fs'
import { csvCell, restoreCsvText } from '../export/csv-cell'

export interface ManifestRow {
  /** As written in the manifest, relative to the manifest's folder. */
  file: string
  class?: string
  slide?: string
  line: number
}

export interface Manifest {
  path: string
  rows: ManifestRow[]
}

const FILE_COLS = ['file', 'filename', 'file name', 'path', 'image', 'image file', 'name']
const CLASS_COLS = ['class', 'label', 'cell class', 'cell type', 'type']
const SLIDE_COLS = ['slide', 'sample', 'sample id', 'sampleid', 'slide id', 'order', 'order id']

/** Reads a CSV as a manifest; undefined when its header has no file and class columns. */
export function readManifest(path: string): Manifest | undefined {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '')
  const records = parseCsv(text)
  if (records.length === 0) return undefined
  const header = records[0].map((h) => h.trim().toLowerCase().replace(/[_\-]+/g, ' '))
  const col = (names: string[]) => header.findIndex((h) => names.includes(h))
  const fileCol = col(FILE_COLS)
  const classCol = col(CLASS_COLS)
  const slideCol = col(SLIDE_COLS)
  if (fileCol < 0 || classCol < 0) return undefined
  const rows: ManifestRow[] = []
  records.slice(1).forEach((r, i) => {
    // Our own exports neutralise formula triggers with an apostrophe: take it off again.
    const cell = (c: number) => restoreCsvText((r[c] ?? '').trim())
    const file = cell(fileCol)
    if (!file) return
    const cls = cell(classCol)
    const slide = slideCol >= 0 ? cell(slideCol) : ''
    rows.push({ file, class: cls || undefined, slide: slide || undefined, line: i + 2 })
  })
  return { path, rows }
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF); also accepts ';' when the header uses it. */
export function parseCsv(text: string): string[][] {
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length)
  const sep = !firstLine.includes(',') && firstLine.includes(';') ? ';' : ','
  const out: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += ch
    } else if (ch === '"' && field === '') quoted = true
    else if (ch === sep) {
      row.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      field = ''
      if (row.length > 1 || row[0] !== '') out.push(row)
      row = []
    } else field += ch
  }
  row.push(field)
  if (row.length > 1 || row[0] !== '') out.push(row)
  return out
}

/** A CSV field as it must be written: quoted when needed, formula triggers neutralised (../export/csv-cell). */
export function csvField(v: string): string {
  return csvCell(v)
}
