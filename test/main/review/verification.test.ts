// Attributable signatures on a real slide: the first verifier's signature
// (user id, server time, meaning, hash of the counts), a second verification
// that must come from a different verifier when the slide asks for one, the
// report preliminary until then and naming both after (HL7 OBR-32/33, FHIR
// Provenance and performers, PDF, CSV), and an import into the signed slide
// refused with its reason.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { exportSlide, reclassifyCells, reopenSlide, ReviewError, setReviewSettings, signSlide, signedContentHash } from '../../../src/main/review'
import { importPath } from '../../../src/main/import'
import { getSlide, signOffLog } from '../../../src/main/store'
import { PLAN, realSlide, type SlideFixture } from './fixtures'
import { copyCells } from '../import/fixtures'
import { addTestUser } from '../../helpers/people'

const standardFontDataUrl = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/'
async function pdfText(bytes: Uint8Array): Promise<string> {
  const doc = await getDocument({ data: new Uint8Array(bytes), standardFontDataUrl }).promise
  let text = ''
  for (let i = 1; i <= doc.numPages; i++) text += (await (await doc.getPage(i)).getTextContent()).items.map((x) => ('str' in x ? x.str : '')).join(' ') + '\n'
  return text
}

let f: SlideFixture
let lee: { userId: number; name: string }
let ng: { userId: number; name: string }
beforeAll(async () => {
  f = await realSlide(PLAN.slice(0, 5), 'S-VERIFY-1')
  lee = await addTestUser(f.db, 'lee', ['verifier'])
  ng = await addTestUser(f.db, 'ng', ['verifier'])
})
afterAll(() => f?.close())

const refusal = (fn: () => unknown): ReviewError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof ReviewError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe('signatures and second verification', () => {
  it('stays preliminary after the first signature, refuses the same verifier twice, and names both verifiers once verified', async () => {
    setReviewSettings(f.db, { slideId: null, secondVerification: true, who: 'ada', userId: null })
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[3]!], label: 'neutrophil', who: 'lee', userId: lee.userId })
    const first = signSlide(f.db, { slideId: f.slideId, who: 'lee', userId: lee.userId, meaning: 'Differential reviewed and verified' })
    expect(first).toMatchObject({ verification: 1, final: false, signedBy: 'lee' })
    const row = signOffLog(f.db, f.slideId)[0]!
    // The hash covers what was signed: the slide and its counts.
    expect(row.contentSha256).toBe(signedContentHash(getSlide(f.db, f.slideId)!, row.counts))
    expect(row).toMatchObject({ userId: lee.userId, verification: 1 })
    expect(Math.abs(Date.parse(row.at) - Date.now())).toBeLessThan(60_000)

    const pre = await exportSlide(f.db, f.slideId, 'hl7', { reportedAt: '2026-03-02T12:00:00Z' })
    expect(pre.status).toBe('preliminary')
    expect(Buffer.from(pre.bytes).toString()).toContain('awaiting the second verification')

    expect(refusal(() => signSlide(f.db, { slideId: f.slideId, who: 'lee', userId: lee.userId, meaning: 'again' })).message).toMatch(/verifier other than lee/)
    const second = signSlide(f.db, { slideId: f.slideId, who: 'ng', userId: ng.userId, meaning: 'Second review: differential verified' })
    expect(second).toMatchObject({ verification: 2, final: true, signedBy: 'ng', contentSha256: row.contentSha256 })
    expect(refusal(() => signSlide(f.db, { slideId: f.slideId, who: 'ng', userId: ng.userId, meaning: 'x' })).code).toBe('conflict')

    const hl7 = Buffer.from((await exportSlide(f.db, f.slideId, 'hl7')).bytes).toString()
    const obr = hl7.split('\r').find((s) => s.startsWith('OBR|'))!.split('|')
    expect(obr[25]).toBe('F')
    expect(obr[32]).toMatch(/^lee&lee\^\d{14}[+-]\d{4}$/)
    expect(obr[33]).toMatch(/^ng&ng\^\d{14}[+-]\d{4}$/)
    expect(hl7.split('\r').find((s) => s.startsWith('OBX|'))!.split('|')[16]).toBe('lee^lee~ng^ng')

    const fhir = JSON.parse(Buffer.from((await exportSlide(f.db, f.slideId, 'fhir')).bytes).toString()) as { entry: { resource: Record<string, unknown> }[] }
    const resources = fhir.entry.map((e) => e.resource)
    const provenances = resources.filter((r) => r.resourceType === 'Provenance') as { recorded: string; signature: { who: { display: string }; when: string }[] }[]
    expect(provenances.map((p) => p.signature[0]!.who.display)).toEqual(['lee', 'ng'])
    expect(provenances.map((p) => p.recorded)).toEqual([row.at, second.signedAt].map((t) => new Date(t).toISOString()))
    const report = resources.find((r) => r.resourceType === 'DiagnosticReport') as { status: string; resultsInterpreter: { display: string }[] }
    expect(report).toMatchObject({ status: 'final', resultsInterpreter: [{ display: 'lee' }, { display: 'ng' }] })
    const practitioners = resources.filter((r) => r.resourceType === 'Practitioner') as { identifier: { value: string }[] }[]
    expect(practitioners.map((p) => p.identifier[0]!.value)).toEqual(['lee', 'ng'])

    const pdf = await pdfText((await exportSlide(f.db, f.slideId, 'pdf')).bytes)
    expect(pdf).toContain('Verified by lee (lee)')
    expect(pdf).toContain('Second verification by ng (ng)')
    expect(pdf).not.toContain('PRELIMINARY')
    const csv = Buffer.from((await exportSlide(f.db, f.slideId, 'csv')).bytes).toString()
    expect(csv).toMatch(/second_verifier,ng/)
  })

  it('refuses to import more cells into the signed slide, saying why, and takes them once it is reopened', async () => {
    const more = join(f.dir, 'more')
    copyCells('pbc-wbc', 'monocyte', 2, more, 'S-VERIFY-1', 20)
    const before = signOffLog(f.db, f.slideId).length
    const r = await importPath(f.db, more, { dataset: null, cachePixels: false })
    expect(r.counts.imported).toBe(0)
    expect(r.counts.failed).toBe(2)
    expect(r.failuresByReason['slide-signed']).toBe(2)
    expect(r.files[0]).toMatchObject({ reason: 'slide-signed', message: expect.stringMatching(/slide S-VERIFY-1 is signed .*reopen it/) })
    expect(signOffLog(f.db, f.slideId)).toHaveLength(before)
    reopenSlide(f.db, { slideId: f.slideId, who: 'lee', userId: lee.userId, reason: 'two more cells found' })
    expect((await importPath(f.db, more, { dataset: null, cachePixels: false })).counts.imported).toBe(2)
  })
})
