// `wbc slide show|export|sign` and `wbc user` in-process on a real slide: the
// files written are the review core's reports (preliminary, then final once
// a verifier signed with their password); users are added, listed, disabled.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reclassifyCells } from '../../src/main/review'
import { wbc as run } from '../helpers/wbc'
import { PLAN, realSlide, type SlideFixture } from '../main/review/fixtures'

let f: SlideFixture
beforeAll(async () => {
  f = await realSlide(PLAN.slice(0, 5), 'S-2026-0042')
})
afterAll(() => f?.close())

const wbc = (args: string[], stdin?: string) => run([...args, '--db', join(f.dir, 'wbc.db')], {}, stdin)

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
    expect((await wbc(['user', 'add', 'lee', '--role', 'verifier', '--display-name', 'Dr Lee', '--password-stdin'], 'lee has a long password\n')).out).toMatch(/added lee \(verifier\)/)
    expect((await wbc(['user', 'add', 'tom', '--role', 'technologist', '--password-stdin'], 'tom has a long password\n')).code).toBe(0)
    // A wrong password signs nothing; a technologist may not sign; then Dr Lee signs with hers.
    const wrong = await wbc(['slide', 'sign', 'S-2026-0042', '--user', 'lee', '--password-stdin', '--meaning', 'Reviewed'], 'not it\n')
    expect(wrong).toMatchObject({ code: 1, err: expect.stringMatching(/wrong name or password/) })
    expect((await wbc(['slide', 'sign', 'S-2026-0042', '--user', 'tom', '--password-stdin', '--meaning', 'Reviewed'], 'tom has a long password\n')).err).toMatch(/needs the verifier role/)
    const signed = await wbc(['slide', 'sign', 'S-2026-0042', '--user', 'lee', '--password-stdin', '--meaning', 'Reviewed and approved', '--json'], 'lee has a long password\n')
    expect(signed.code).toBe(0)
    expect(JSON.parse(signed.out)).toMatchObject({ signedBy: 'lee', verification: 1, final: true, meaning: 'Reviewed and approved' })
    const pdfFile = join(f.dir, 'out.pdf')
    expect((await wbc(['slide', 'export', String(f.slideId), '--format', 'pdf', '--out', pdfFile])).code).toBe(0)
    expect(readFileSync(pdfFile).subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const hl7File = join(f.dir, 'out.hl7')
    expect((await wbc(['slide', 'export', 'S-2026-0042', '--format', 'hl7', '--out', hl7File])).out).toMatch(/final HL7 report/)
    expect(readFileSync(hl7File, 'utf8').split('\r').find((s) => s.startsWith('OBR|'))!.split('|')[25]).toBe('F')
  })

  it('lists users as JSON and disables without deleting', async () => {
    expect((await wbc(['user', 'add', 'ann', '--role', 'organiser,reader', '--password-stdin'], 'ann has a long password\n')).err).toMatch(/a reader holds no other role/)
    expect((await wbc(['user', 'add', 'ann', '--role', 'organiser', '--password-stdin'], 'short\n')).err).toMatch(/at least 10 characters/)
    expect((await wbc(['user', 'add', 'ann', '--role', 'organiser', '--password-stdin'], 'ann has a long password\n')).code).toBe(0)
    expect((await wbc(['user', 'add', 'ANN', '--role', 'reader', '--password-stdin'], 'ann has a long password\n')).err).toMatch(/exists/)
    expect((await wbc(['user', 'disable', 'ann'])).out).toMatch(/disabled ann/)
    const list = JSON.parse((await wbc(['user', 'list', '--json'])).out) as { name: string; disabledAt: string | null; roles: string[] }[]
    expect(list.find((u) => u.name === 'ann')).toMatchObject({ roles: ['organiser'], disabledAt: expect.any(String) })
    expect((await wbc(['user', 'passwd', 'ann', '--password-stdin'], 'a new long password\n')).code).toBe(0)
  })

  it('fails plainly on an unknown slide or format', async () => {
    const r = await wbc(['slide', 'export', 'NOPE', '--format', 'csv', '--out', join(f.dir, 'x.csv')])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/no slide "NOPE"/)
    expect((await wbc(['slide', 'export', 'S-2026-0042', '--format', 'docx', '--out', join(f.dir, 'x')])).err).toMatch(/--format must be one of/)
  })
})
