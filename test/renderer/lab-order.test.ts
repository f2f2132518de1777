// @vitest-environment happy-dom
// The fixed non-WBC keys cover every non-leukocyte label and clash with no
// other review key; the order store saves only what changed; the lab store
// sends the edited reference table and shows the core's refusal, and
// changes the lab's counting rules as global review settings.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount } from '@vue/test-utils'
import LabView from '../../src/renderer/src/views/LabView.vue'
import { NOT_COUNTED_LABELS } from '../../src/shared/review'
import { NON_WBC_KEYS, NON_WBC_LABELS_WITHOUT_KEY, nonWbcKeyFor } from '../../src/renderer/src/components/review/non-wbc-keys'
import { setTransport } from '../../src/renderer/src/api/transport'
import { useOrderStore } from '../../src/renderer/src/stores/order'
import { useLabStore } from '../../src/renderer/src/stores/lab'
import type { SlideOrder } from '../../src/shared/order'
import { fakeTransport, ok } from './fake-transport'

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => setTransport(null))

describe('non-WBC keys', () => {
  it('give every non-leukocyte label a key of its own that no other review key uses', () => {
    expect(NON_WBC_LABELS_WITHOUT_KEY).toEqual([])
    expect(NON_WBC_KEYS.map((k) => k.label).sort()).toEqual([...NOT_COUNTED_LABELS].sort())
    // Letters the review screen already uses (ReviewView's onKey) and digits.
    const taken = new Set(['z', 'a', 'x', 'o', 'h', 'c', 's', 'r', 'e', 't', 'i', ...'0123456789'])
    for (const k of NON_WBC_KEYS) expect(taken.has(k.key)).toBe(false)
    expect(new Set(NON_WBC_KEYS.map((k) => k.key)).size).toBe(NON_WBC_KEYS.length)
    expect(nonWbcKeyFor('N')?.label).toBe('erythroblast')
    expect(nonWbcKeyFor('ArrowDown')).toBeUndefined()
  })
})

const ORDER: SlideOrder = {
  slideId: 3, sampleId: 'S-3', orderId: 'A-1', patientId: 'P-1', familyName: 'Doe', givenName: 'Jane', birthDate: '1950-03-04', sex: 'F',
  collectedAt: '2026-03-02T08:30:00+01:00', location: 'ED', wbcCount: 7.5, readOnly: false
}

describe('order store', () => {
  it('sends only the fields that changed, with the reason, and re-reads the history', async () => {
    const f = fakeTransport({
      'order.get': () => ok(ORDER),
      'order.history': () => ok([]),
      'order.update': (input) => ok({ ...ORDER, ...(input as { changes: object }).changes })
    })
    setTransport(f.transport)
    const s = useOrderStore()
    await s.load(3)
    expect(await s.save({ orderId: 'A-1', wbcCount: '8.1', location: null }, 'rerun')).toBe(true)
    expect(f.calls.find((c) => c.method === 'order.update')!.input).toEqual({ slideId: 3, changes: { wbcCount: '8.1', location: null }, why: 'rerun' })
    expect(f.calls.filter((c) => c.method === 'order.history')).toHaveLength(2)
  })

  it("keeps the core's refusal to show it", async () => {
    const f = fakeTransport({
      'order.get': () => ok(ORDER),
      'order.history': () => ok([]),
      'order.update': () => ({ ok: false, error: { code: 'conflict', message: 'slide 3 was signed by Dr Lee' } })
    })
    setTransport(f.transport)
    const s = useOrderStore()
    await s.load(3)
    expect(await s.save({ patientId: 'P-2' })).toBe(false)
    expect(s.error).toBe('slide 3 was signed by Dr Lee')
  })
})

describe('lab store', () => {
  it('saves the edited table as a whole, or shows why the core refused it', async () => {
    const table = { id: null, who: null, at: null, name: 'Adult default', source: 'src', intervals: [{ class: 'basophil', measure: 'percent' as const, sex: null, ageFromYears: 18, ageToYears: null, low: 0, high: 2, criticalLow: null, criticalHigh: null }] }
    let answer: 'ok' | 'refuse' = 'ok'
    const f = fakeTransport({
      'ranges.get': () => ok(table),
      'ranges.set': (input) =>
        answer === 'ok'
          ? ok({ ...table, ...(input as { table: object }).table, id: 1, who: 'x', at: '2026-03-02T00:00:00Z' })
          : { ok: false, error: { code: 'invalid_input', message: 'the reference table cannot be used: row 1 (basophil ...): low is above high' } }
    })
    setTransport(f.transport)
    const s = useLabStore()
    await s.load()
    s.rows[0]!.high = 12
    s.name = 'Lab 2026'
    expect(await s.save('own study')).toBe(true)
    expect(f.calls.find((c) => c.method === 'ranges.set')!.input).toMatchObject({ table: { name: 'Lab 2026', intervals: [{ class: 'basophil', high: 12 }] }, why: 'own study' })
    expect(s.table?.id).toBe(1)
    answer = 'refuse'
    s.rows[0]!.low = 50
    expect(await s.save()).toBe(false)
    expect(s.error).toMatch(/low is above high/)
  })
})

describe("lab store: the lab's counting rules", () => {
  it('reads the global settings, changes one rule at a time, and keeps what is in force when the core refuses', async () => {
    let inForce = { unidentifiedThreshold: 0.8, targetCount: 100, target200From200Cells: false, secondVerification: false, wbcCorrectedByAnalyser: false }
    let refuse = false
    const f = fakeTransport({
      'ranges.get': () => ok({ id: null, who: null, at: null, name: 'Adult default', source: 'src', intervals: [] }),
      'review.settings': (input) => {
        const { slideId, ...change } = input as { slideId: null } & Record<string, unknown>
        if (slideId !== null) throw new Error('the lab screen changes only global settings')
        if (refuse && Object.keys(change).length) return { ok: false, error: { code: 'forbidden', message: 'review.settings needs the role admin or technologist or verifier' } }
        inForce = { ...inForce, ...change }
        return ok(inForce)
      }
    })
    setTransport(f.transport)
    const s = useLabStore()
    await s.load()
    expect(s.rules?.wbcCorrectedByAnalyser).toBe(false)
    expect(await s.setRule('wbcCorrectedByAnalyser', true)).toBe(true)
    expect(f.calls.filter((c) => c.method === 'review.settings').map((c) => c.input)).toEqual([{ slideId: null }, { slideId: null, wbcCorrectedByAnalyser: true }])
    expect(s.rules).toMatchObject({ wbcCorrectedByAnalyser: true, target200From200Cells: false })
    refuse = true
    expect(await s.setRule('target200From200Cells', true)).toBe(false)
    expect(s.rulesError).toMatch(/needs the role/)
    expect(s.rules).toMatchObject({ wbcCorrectedByAnalyser: true, target200From200Cells: false })
  })

  it('the Lab screen shows the rules in force; a refused change puts the box back and says why', async () => {
    let refuse = false
    const inForce = { unidentifiedThreshold: 0.8, targetCount: 100, target200From200Cells: true, secondVerification: false, wbcCorrectedByAnalyser: false }
    const f = fakeTransport({
      'ranges.get': () => ok({ id: null, who: null, at: null, name: 'Adult default', source: 'src', intervals: [] }),
      'review.settings': (input) => {
        const { slideId: _slideId, ...change } = input as Record<string, unknown>
        if (refuse) return { ok: false, error: { code: 'forbidden', message: 'review.settings needs the role admin or technologist or verifier' } }
        return ok(Object.assign(inForce, change))
      }
    })
    setTransport(f.transport)
    const w = mount(LabView, { global: { plugins: [createPinia()] } })
    await flushPromises()
    const box = (key: string) => w.get(`[data-testid="rule-${key}"]`).element as HTMLInputElement
    expect(box('target200From200Cells').checked).toBe(true)
    expect(box('wbcCorrectedByAnalyser').checked).toBe(false)
    await w.get('[data-testid="rule-wbcCorrectedByAnalyser"]').setValue(true)
    await flushPromises()
    expect(f.calls.at(-1)).toMatchObject({ method: 'review.settings', input: { slideId: null, wbcCorrectedByAnalyser: true } })
    expect(box('wbcCorrectedByAnalyser').checked).toBe(true)
    refuse = true
    await w.get('[data-testid="rule-secondVerification"]').setValue(true)
    await flushPromises()
    expect(box('secondVerification').checked).toBe(false)
    expect(w.get('[data-testid="rules-error"]').text()).toMatch(/needs the role/)
    w.unmount()
  })
})
