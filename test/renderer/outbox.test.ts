// @vitest-environment happy-dom
// The Outbox screen over a scripted transport: messages with their state and
// the LIS's answer, live updates from outbox.changed, a message's tries and
// HL7 text, sending a rejected message again, and the LIS settings form
// (checked before it is sent, saved through lis.settings).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { LisSettings, OutboxMessage, OutboxMessageDetail } from '../../src/shared/lis'
import { DEFAULT_LIS_SETTINGS } from '../../src/shared/lis'
import { setTransport } from '../../src/renderer/src/api/transport'
import OutboxView from '../../src/renderer/src/views/OutboxView.vue'
import { useOutboxStore } from '../../src/renderer/src/stores/outbox'
import { fakeTransport, ok } from './fake-transport'

const msg = (over: Partial<OutboxMessage>): OutboxMessage => ({
  id: 1,
  slideId: 3,
  sampleId: 'S-1',
  resultStatus: 'F',
  controlId: 'ABC123',
  destination: 'lis.local:2575',
  state: 'sent',
  attempts: 1,
  maxAttempts: 10,
  nextAttemptAt: null,
  lastError: '',
  ackCode: 'AA',
  ackText: '',
  who: 'Dr Lee',
  createdAt: '2026-12-06T00:00:00Z',
  updatedAt: '2026-12-06T00:00:01Z',
  ...over
})
const REJECTED = msg({ id: 2, sampleId: 'S-2', state: 'rejected', ackCode: 'AE', ackText: 'Unknown order number ORD-9' })
const WAITING = msg({ id: 3, sampleId: 'S-3', state: 'pending', ackCode: null, lastError: 'connect ECONNREFUSED', attempts: 2, nextAttemptAt: '2026-12-06T00:05:00Z', resultStatus: 'C' })

let pinia: ReturnType<typeof createPinia>
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
})
afterEach(() => setTransport(null))

describe('Outbox screen', () => {
  it("lists messages with their state and the LIS's answer, and follows outbox.changed", async () => {
    const f = fakeTransport({ 'outbox.list': () => ok([WAITING, REJECTED, msg({})]), 'lis.settings': () => ok(DEFAULT_LIS_SETTINGS) })
    setTransport(f.transport)
    const w = mount(OutboxView, { global: { plugins: [pinia] } })
    await flushPromises()
    const rows = w.findAll('[data-outbox-row]')
    expect(rows.map((r) => r.find('[data-testid="outbox-state"]').text())).toEqual(['Waiting', 'Rejected', 'Sent'])
    expect(rows[0]!.text()).toContain('correction')
    expect(rows[0]!.find('[data-testid="outbox-outcome"]').text()).toMatch(/ECONNREFUSED · next try/)
    expect(rows[1]!.find('[data-testid="outbox-outcome"]').text()).toBe('AE: Unknown order number ORD-9')
    expect(w.find('[data-testid="retry-2"]').exists()).toBe(true)
    expect(w.find('[data-testid="retry-1"]').exists()).toBe(false)

    // The courier reports the waiting message sent, and a new one queued.
    f.emit('outbox.changed', { messages: [{ ...WAITING, state: 'sent', ackCode: 'AA', attempts: 3 }, msg({ id: 4, sampleId: 'S-4', state: 'pending', ackCode: null })] })
    await flushPromises()
    expect(w.findAll('[data-outbox-row]').map((r) => [r.attributes('data-outbox-row'), r.attributes('data-state')])).toEqual([
      ['4', 'pending'],
      ['3', 'sent'],
      ['2', 'rejected'],
      ['1', 'sent']
    ])
    w.unmount()
    expect(f.listenerCount()).toBe(0)
  })

  it('shows a message\'s tries and HL7 text, and sends a rejected one again', async () => {
    const detail: OutboxMessageDetail = {
      ...REJECTED,
      message: 'MSH|^~\\&|WBC Workstation\rPID|1\r',
      ackMessage: 'MSH|^~\\&|LIS\rMSA|AE|ABC123|Unknown order number ORD-9\r',
      tries: [{ at: '2026-12-06T00:00:01Z', outcome: 'nak', ackCode: 'AE', detail: 'Unknown order number ORD-9' }]
    }
    const f = fakeTransport({
      'outbox.list': () => ok([REJECTED]),
      'lis.settings': () => ok(DEFAULT_LIS_SETTINGS),
      'outbox.get': () => ok(detail),
      'outbox.retry': () => ok({ ...REJECTED, state: 'pending', attempts: 0 })
    })
    setTransport(f.transport)
    const w = mount(OutboxView, { global: { plugins: [pinia] } })
    await flushPromises()
    await w.find('[data-outbox-row="2"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="outbox-detail"]').text()).toContain('refused (AE): Unknown order number ORD-9')
    expect(w.find('[data-testid="outbox-hl7"]').text()).toBe('MSH|^~\\&|WBC Workstation\nPID|1')
    await w.find('[data-testid="retry-2"]').trigger('click')
    await flushPromises()
    expect(f.calls.filter((c) => c.method === 'outbox.retry')).toEqual([{ method: 'outbox.retry', input: { id: 2 } }])
    expect(w.find('[data-outbox-row="2"]').attributes('data-state')).toBe('pending')
    expect(w.find('[data-testid="outbox-notice"]').text()).toBe('Message 2 is queued again.')
    w.unmount()
  })

  it('checks the LIS settings before saving them and shows what the core refused', async () => {
    let saved: Partial<LisSettings> | null = null
    const f = fakeTransport({
      'outbox.list': () => ok([]),
      'lis.settings': (input) => {
        const change = input as Partial<LisSettings>
        if (!Object.keys(change).length) return ok(DEFAULT_LIS_SETTINGS)
        if (change.sendOnSignOff && !change.host) return { ok: false, error: { code: 'invalid_input', message: 'sending at sign-off needs the LIS host and port' } }
        saved = change
        return ok({ ...DEFAULT_LIS_SETTINGS, ...change })
      }
    })
    setTransport(f.transport)
    const w = mount(OutboxView, { global: { plugins: [pinia] } })
    await flushPromises()
    expect(w.find('[data-testid="outbox-empty"]').exists()).toBe(true)
    await w.find('#lis-port').setValue('99999')
    await w.find('[data-testid="lis-settings"]').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="lis-form-error"]').text()).toMatch(/port/)
    expect(f.calls.filter((c) => c.method === 'lis.settings')).toHaveLength(1) // only the first read

    await w.find('#lis-port').setValue('2575')
    await w.find('#lis-auto').setValue(true)
    await w.find('[data-testid="lis-settings"]').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="outbox-error"]').text()).toBe('sending at sign-off needs the LIS host and port')

    await w.find('#lis-host').setValue(' lis.lab.local ')
    await w.find('[data-testid="lis-settings"]').trigger('submit')
    await flushPromises()
    expect(saved).toMatchObject({ host: 'lis.lab.local', port: 2575, sendOnSignOff: true, ackTimeoutMs: 30000, maxAttempts: 10 })
    expect(w.find('[data-testid="outbox-notice"]').text()).toBe('LIS settings saved.')
    w.unmount()
  })

  it('queues a signed slide from the store and reports where it goes', async () => {
    const f = fakeTransport({ 'lis.send': () => ok(msg({ id: 9, state: 'pending', sampleId: 'S-9', ackCode: null })) })
    setTransport(f.transport)
    const s = useOutboxStore()
    const m = await s.send(5)
    expect(f.calls).toEqual([{ method: 'lis.send', input: { slideId: 5 } }])
    expect(m?.id).toBe(9)
    expect(s.messages.map((x) => x.id)).toEqual([9])
    expect(s.notice).toBe('The report of S-9 is in the outbox for lis.local:2575.')
  })
})
