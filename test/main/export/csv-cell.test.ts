// Formula injection: every CSV the workstation writes goes through csvCell.
import { describe, expect, it } from 'vitest'
import { csvCell, csvRow, neutraliseCsvText, restoreCsvText } from '../../../src/main/export/csv-cell'
import { parseCsv } from '../../../src/main/import/manifest'

describe('csvCell', () => {
  it('puts an apostrophe before text a spreadsheet would run as a formula', () => {
    for (const t of ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      expect(neutraliseCsvText(t)).toBe(`'${t}`)
    }
    expect(csvCell('=1+1')).toBe("'=1+1")
    expect(csvCell('=A1,B1')).toBe(`"'=A1,B1"`)
    expect(csvCell('\r=1')).toBe(`"'\r=1"`)
  })

  it('leaves plain text, numbers and booleans alone', () => {
    expect(csvRow(['neutrophil', 'S-2026', -1.5, 0, true, null, undefined, 'a=b'])).toBe('neutrophil,S-2026,-1.5,0,true,,,a=b')
  })

  it('reads back to the very same text, apostrophes included', () => {
    const texts = ['=cmd', "'=cmd", "''+x", "'plain", 'plain', '-', '@', 'x,"y"\n', '\t=1']
    const line = csvRow(texts)
    expect(parseCsv(line + '\n')[0].map(restoreCsvText)).toEqual(texts)
    // No neutralised cell starts with a trigger any more.
    for (const cell of parseCsv(line + '\n')[0]) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
  })
})
