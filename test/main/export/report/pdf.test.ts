import { describe, it, expect } from 'vitest'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { differentialToPdf } from '../../../../src/main/export/report'
import { sampleReport } from './fixtures'

const standardFontDataUrl = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/'

/** Text of every page, extracted by Mozilla's PDF.js (an independent PDF reader). */
async function pdfText(bytes: Buffer): Promise<{ pages: number; text: string }> {
  const doc = await getDocument({ data: new Uint8Array(bytes), standardFontDataUrl }).promise
  let text = ''
  for (let p = 1; p <= doc.numPages; p++) {
    const content = await (await doc.getPage(p)).getTextContent()
    text += content.items.map((item) => ('str' in item ? item.str : '')).join(' ') + '\n'
  }
  return { pages: doc.numPages, text }
}

describe('PDF report', () => {
  it('is a one-page PDF with the sample, the table and CIs, and PRELIMINARY when unsigned', async () => {
    const bytes = await differentialToPdf(sampleReport(false))
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const { pages, text } = await pdfText(bytes)
    expect(pages).toBe(1)
    expect(text).toContain('PRELIMINARY')
    expect(text).toContain('S-2026-0042')
    expect(text).toMatch(/Neutrophil\s+58\s+58\.0\s+47\.7 - 67\.8/)
    expect(text).toMatch(/Basophil\s+1\s+1\.0\s+0\.0 - 5\.4/)
    expect(text).toContain('Platelet clumps seen.')
  })

  it('shows FINAL and the sign-off, and no PRELIMINARY mark, once signed', async () => {
    const { text } = await pdfText(await differentialToPdf(sampleReport(true)))
    expect(text).not.toContain('PRELIMINARY')
    expect(text).toContain('FINAL')
    expect(text).toContain('Dr. Lee | Haematology')
    expect(text).toContain('Reviewed and approved')
  })
})
