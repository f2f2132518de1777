import { describe, it, expect } from 'vitest'
import { Hl7Message } from '@medplum/core'
import { differentialToHl7, escapeHl7, toHl7DateTime } from '../../../../src/main/export/report'
import { sampleReport } from './fixtures'

/** HL7 v2 unescaping of the default delimiters (spec 2.7.4), written for the test. */
function unescape(text: string): string {
  return text.replace(/\\([FSTRE])\\/g, (_, c: string) => ({ F: '|', S: '^', T: '&', R: '~', E: '\\' })[c] as string)
}

describe('HL7 v2.5.1 ORU^R01', () => {
  const signed = differentialToHl7(sampleReport(true))
  const message = Hl7Message.parse(signed)

  it('uses CR segment separators and the expected segment order', () => {
    expect(signed.includes('\n')).toBe(false)
    expect(signed.endsWith('\r')).toBe(true)
    const names = signed.split('\r').filter(Boolean).map((s) => s.slice(0, 3))
    expect(names.slice(0, 4)).toEqual(['MSH', 'PID', 'ORC', 'OBR'])
    // after OBR: its NTEs, then OBX/NTE pairs
    const firstObx = names.indexOf('OBX')
    expect(names.slice(4, firstObx).every((n) => n === 'NTE')).toBe(true)
    expect(names.slice(firstObx)).toEqual(Array(6).fill(['OBX', 'NTE']).flat())
  })

  it('has a header that a parser reads as ORU^R01 version 2.5.1', () => {
    const msh = message.getSegment('MSH')
    expect(msh?.getField(9).getComponent(1)).toBe('ORU')
    expect(msh?.getField(9).getComponent(2)).toBe('R01')
    expect(msh?.getField(12).toString()).toBe('2.5.1')
    expect(msh?.getField(7).toString()).toBe('20260302101600+0100')
    expect(msh?.getField(4).getComponent(1)).toBe('Haematology Lab')
  })

  it('carries patient, order and panel with escaped free text', () => {
    const pid = message.getSegment('PID')
    expect(pid?.getField(3).getComponent(1)).toBe('P-1001')
    expect(pid?.getField(3).getComponent(5)).toBe('MR')
    expect(unescape(pid?.getField(5).getComponent(1) ?? '')).toBe("O'Brien & Sons")
    expect(unescape(pid?.getField(5).getComponent(2) ?? '')).toBe('Ana~Maria')
    expect(pid?.getField(7).toString()).toBe('19800517')
    const obr = message.getSegment('OBR')
    expect(unescape(obr?.getField(2).toString() ?? '')).toBe('ORD|77^A')
    expect(obr?.getField(3).getComponent(1)).toBe('S-2026-0042')
    expect(obr?.getField(4).getComponent(1)).toBe('69738-3')
    expect(obr?.getField(4).getComponent(3)).toBe('LN')
    expect(obr?.getField(7).toString()).toBe('20260302083000+0100')
    expect(obr?.getField(25).toString()).toBe('F')
    // OBR-32.1 is CNN: ID & family name; medplum counts subcomponents from 0
    expect(unescape(obr?.getField(32).getComponent(1, 1) ?? '')).toBe('Dr. Lee | Haematology')
    expect(obr?.getField(32).getComponent(2)).toBe('20260302101500+0100')
  })

  it('has one OBX per class with the LOINC code, percent, UCUM unit and final status', () => {
    const obx = message.getAllSegments('OBX')
    expect(obx).toHaveLength(6)
    const byCode = new Map(obx.map((s) => [s.getField(3).getComponent(1), s]))
    const expected: [string, string, string][] = [
      ['770-8', 'Neutrophils/100 leukocytes in Blood by Automated count', '58.0'],
      ['713-8', 'Eosinophils/100 leukocytes in Blood by Automated count', '3.0'],
      ['706-2', 'Basophils/100 leukocytes in Blood by Automated count', '1.0'],
      ['736-9', 'Lymphocytes/100 leukocytes in Blood by Automated count', '30.0'],
      ['5905-5', 'Monocytes/100 leukocytes in Blood by Automated count', '6.0']
    ]
    for (const [code, display, value] of expected) {
      const s = byCode.get(code)
      expect(s?.getField(2).toString()).toBe('NM')
      expect(s?.getField(3).getComponent(2)).toBe(display)
      expect(s?.getField(3).getComponent(3)).toBe('LN')
      expect(s?.getField(5).toString()).toBe(value)
      expect(s?.getField(6).getComponent(1)).toBe('%')
      expect(s?.getField(6).getComponent(3)).toBe('UCUM')
      expect(s?.getField(11).toString()).toBe('F')
    }
    const smudge = obx[5]
    expect(smudge?.getField(3).getComponent(1)).toBe('smudge')
    expect(smudge?.getField(3).getComponent(3)).toBe('99WBC')
  })

  it('puts each class count and CI in the NTE after its OBX', () => {
    const segments = signed.split('\r').filter(Boolean)
    const neutrophilNte = segments[segments.findIndex((s) => s.startsWith('OBX|1|')) + 1]
    expect(neutrophilNte).toBe('NTE|1|L|58 of 100 cells; 95% CI 47.7-67.8 % (exact binomial)')
  })

  it('marks an unsigned report preliminary in OBR-25, every OBX-11 and a note', () => {
    const text = differentialToHl7(sampleReport(false))
    const m = Hl7Message.parse(text)
    expect(m.getSegment('OBR')?.getField(25).toString()).toBe('P')
    expect(m.getAllSegments('OBX').map((s) => s.getField(11).toString())).toEqual(Array(6).fill('P'))
    expect(m.getAllSegments('NTE').some((s) => s.getField(3).toString().startsWith('PRELIMINARY'))).toBe(true)
    expect(m.getSegment('OBR')?.getField(32)?.toString() ?? '').toBe('')
  })

  it('keeps escaped delimiters from splitting fields, and multi-line comments as separate notes', () => {
    const notes = message.getAllSegments('NTE').map((s) => unescape(s.getField(3).toString()))
    expect(notes).toContain('Check \\ retest: 2nd line')
    expect(notes.some((n) => n.includes('Dr. Lee | Haematology'))).toBe(true)
    for (const s of message.getAllSegments('NTE')) expect(s.fields.length).toBeLessThanOrEqual(4)
    const report = sampleReport(true)
    report.comments = ['first\nsecond']
    const m = Hl7Message.parse(differentialToHl7(report))
    const texts = m.getAllSegments('NTE').map((s) => s.getField(3).toString())
    expect(texts).toContain('first')
    expect(texts).toContain('second')
  })

  it('escapes every delimiter, the escape character first', () => {
    expect(escapeHl7('a|b^c&d~e\\f')).toBe('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f')
    expect(unescape(escapeHl7('x\\F\\y'))).toBe('x\\F\\y')
  })

  it('converts ISO date-times to HL7 DTM keeping the written offset', () => {
    expect(toHl7DateTime('2026-03-02T08:30:00Z')).toBe('20260302083000+0000')
    expect(toHl7DateTime('2026-03-02T08:30-05:00')).toBe('20260302083000-0500')
    expect(toHl7DateTime('1980-05-17')).toBe('19800517')
    expect(() => toHl7DateTime('yesterday')).toThrow(RangeError)
  })

  it('leaves PID out when the patient is unknown (the PATIENT group is optional)', () => {
    const report = sampleReport(true)
    delete report.patient
    expect(Hl7Message.parse(differentialToHl7(report)).getSegment('PID')).toBeUndefined()
  })
})
