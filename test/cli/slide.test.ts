// `wbc slide show|export` in-process on a real slide: the files written are
// the review core's reports (preliminary, then final once signed).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reclassifyCells, signSlide } from '../../src/main/review'
import { wbc as run } from '../helpers/wbc'
import { PLAN, realSlide, type SlideFixture } from '../main/review/fixtures'

let f: SlideFixture
beforeAll(async () => {
  f = await realSlide(PLAN.slice(0, 5), 'S-2026-0042')
})
afterAll(() => f?.close())

const wbc = (args: string[]) => run([...args, '--db', join(f.dir, 'wbc.db')])

describe('wbc slide', () => {
  it('shows the differential and exports preliminary, then final reports', async () => {
    const show = await wbc(['slide', 'show', 'S-2026-0042', '--json'])
    expect(show.code).toBe(0)
    expect(JSON.parse(show.out)).toMatchObject({ totalCounted: 4, unidentified: 1, signed: false })

    const csvFile = join(f.dir, 'out.csv')
    const pre = await wbc(['slide', 'export', 'S-2026-0042', '--format', 'csv', '--out', csvFile, '--lab', 'Central Lab'])
    expect(pre.code).toBe(0)
    expect(pre.out).toMatch(/preliminary CSV report/)
    expect(readFileSync(csvFile, 'utf8')).toMatch(/status,preliminary/)

    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[3]!], label: 'neutrophil', who: 'Dr Lee' })
    signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' })
    const pdfFile = join(f.dir, 'out.pdf')
    expect((await wbc(['slide', 'export', String(f.slideId), '--format', 'pdf', '--out', pdfFile])).code).toBe(0)
    expect(readFileSync(pdfFile).subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const hl7File = join(f.dir, 'out.hl7')
    expect((await wbc(['slide', 'export', 'S-2026-0042', '--format', 'hl7', '--out', hl7File])).out).toMatch(/final HL7 report/)
    expect(readFileSync(hl7File, 'utf8').split('\r').find((s) => s.startsWith('OBR|'))!.split('|')[25]).toBe('F')
  })

  it('fails plainly on an unknown slide or format', async () => {
    const r = await wbc(['slide', 'export', 'NOPE', '--format', 'csv', '--out', join(f.dir, 'x.csv')])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/no slide "NOPE"/)
    expect((await wbc(['slide', 'export', 'S-2026-0042', '--format', 'docx', '--out', join(f.dir, 'x')])).err).toMatch(/--format must be one of/)
  })
})
