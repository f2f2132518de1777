// The LIS outbox against an independent MLLP listener (node-hl7-server, not
// the sender's @medplum/hl7): delivery with the ACK recorded, a LIS that is
// down (the message waits and goes when it is back), refusals with the LIS's
// own reason, dropped connections, tries running out, a process dying
// mid-send, corrections after a reopened sign-off, and sending at sign-off.
import { Message } from 'node-hl7-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  deliverDue,
  deliverOutboxMessage,
  outboxDetail,
  queueSlideReport,
  retryDelayMs,
  retryOutboxMessage,
  setLisSettings,
  signAndQueue,
  startOutboxCourier
} from '../../../src/main/lis'
import { reclassifyCells, reopenSlide, signSlide } from '../../../src/main/review'
import { claimOutboxMessage, getOutboxMessage, listOutboxMessages } from '../../../src/main/store'
import { freePort, startLisListener, type LisListener } from '../../helpers/lis-listener'
import { PLAN, realSlide, type SlideFixture } from '../review/fixtures'

let f: SlideFixture
let lis: LisListener | undefined
beforeEach(async () => {
  f = await realSlide(PLAN.slice(0, 3), 'S-LIS-1')
})
afterEach(async () => {
  await lis?.close()
  lis = undefined
  f?.close()
})

const sign = () => signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' })
/** A clock the test moves by hand, so backoff waits cost no real time. */
function manualClock(start = Date.now()) {
  let t = start
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) }
}
const field = (text: string, path: string) => new Message({ text }).get(path).toString()

describe('LIS outbox over MLLP', () => {
  it('delivers a signed report and records the ACK', async () => {
    lis = await startLisListener({ answer: 'AA' })
    sign()
    const queued = queueSlideReport(f.db, { slideId: f.slideId, who: 'Dr Lee', to: { host: '127.0.0.1', port: lis.port } })
    expect(queued.state).toBe('pending')
    const sent = await deliverOutboxMessage(f.db, queued.id)
    expect(sent).toMatchObject({ state: 'sent', ackCode: 'AA', attempts: 1 })
    expect(lis.received).toHaveLength(1)
    // The listener's own parser reads what we sent: the control id the ACK names, a final result.
    expect(field(lis.received[0]!, 'MSH.10')).toBe(queued.controlId)
    expect(field(lis.received[0]!, 'MSH.9.1')).toBe('ORU')
    expect(field(lis.received[0]!, 'OBR.25')).toBe('F')
    expect(field(lis.received[0]!, 'OBR.3.1')).toBe('S-LIS-1')
    expect(field(sent!.ackMessage!, 'MSA.2')).toBe(queued.controlId)
    expect(outboxDetail(f.db, queued.id).tries).toEqual([expect.objectContaining({ outcome: 'ack', ackCode: 'AA' })])
  })

  it('keeps the message while the LIS is down and sends it when the LIS is back', async () => {
    const clock = manualClock()
    const port = await freePort()
    setLisSettings(f.db, { host: '127.0.0.1', port, ackTimeoutMs: 2000 }, 'admin')
    sign()
    const queued = queueSlideReport(f.db, { slideId: f.slideId, who: 'Dr Lee', clock: clock.now })
    const first = await deliverOutboxMessage(f.db, queued.id, { clock: clock.now })
    expect(first).toMatchObject({ state: 'pending', attempts: 1 })
    expect(first!.lastError).toMatch(/ECONNREFUSED|connect/i)
    expect(Date.parse(first!.nextAttemptAt) - clock.now().getTime()).toBe(retryDelayMs(1))

    lis = await startLisListener({ answer: 'AA' }, port)
    // Not due yet: the backoff wait is respected.
    expect(await deliverDue(f.db, { clock: clock.now })).toEqual([])
    expect(lis.received).toHaveLength(0)
    clock.advance(retryDelayMs(1))
    const [sent] = await deliverDue(f.db, { clock: clock.now })
    expect(sent).toMatchObject({ id: queued.id, state: 'sent', ackCode: 'AA', attempts: 2 })
    expect(lis.received).toHaveLength(1)
    expect(outboxDetail(f.db, queued.id).tries.map((t) => t.outcome)).toEqual(['no-answer', 'ack'])
  })

  it.each(['AE', 'AR'] as const)("records an %s refusal with the LIS's reason, and sends again only when asked", async (code) => {
    lis = await startLisListener({ answer: code, text: 'Unknown order number ORD-9' })
    sign()
    const queued = queueSlideReport(f.db, { slideId: f.slideId, who: 'Dr Lee', to: { host: '127.0.0.1', port: lis.port } })
    const rejected = await deliverOutboxMessage(f.db, queued.id)
    expect(rejected).toMatchObject({ state: 'rejected', ackCode: code })
    expect(rejected!.ackText).toContain('Unknown order number ORD-9')
    expect(rejected!.ackText).toContain('Application internal error')
    // A refusal is not retried by itself.
    expect(await deliverDue(f.db, { clock: () => new Date(Date.now() + 3600_000) })).toEqual([])
    lis.mode = { answer: 'AA' }
    expect(retryOutboxMessage(f.db, queued.id).state).toBe('pending')
    expect((await deliverOutboxMessage(f.db, queued.id))!.state).toBe('sent')
    expect(outboxDetail(f.db, queued.id).tries.map((t) => [t.outcome, t.ackCode])).toEqual([
      ['nak', code],
      ['ack', 'AA']
    ])
  })

  it('treats a dropped connection and a silent LIS as no answer, and fails after the allowed tries', async () => {
    lis = await startLisListener({ answer: 'drop' })
    setLisSettings(f.db, { host: '127.0.0.1', port: lis.port, maxAttempts: 2, ackTimeoutMs: 1500 }, 'admin')
    sign()
    const clock = manualClock()
    const queued = queueSlideReport(f.db, { slideId: f.slideId, who: 'Dr Lee', clock: clock.now })
    const t0 = Date.now()
    const dropped = await deliverOutboxMessage(f.db, queued.id, { clock: clock.now })
    expect(dropped).toMatchObject({ state: 'pending', attempts: 1 })
    expect(dropped!.lastError).toMatch(/closed/i)
    expect(Date.now() - t0).toBeLessThan(1400) // noticed when the socket closed, not after the ACK timeout
    lis.mode = { answer: 'silent' }
    clock.advance(retryDelayMs(1))
    const silent = await deliverOutboxMessage(f.db, queued.id, { clock: clock.now })
    expect(silent).toMatchObject({ state: 'failed', attempts: 2 })
    expect(silent!.lastError).toMatch(/timed out/i)
    expect(lis.received).toHaveLength(2)
  })

  it('takes up a message whose sender died mid-send once its lease runs out, and the courier sends what waits at start', async () => {
    lis = await startLisListener({ answer: 'AA' })
    setLisSettings(f.db, { host: '127.0.0.1', port: lis.port }, 'admin')
    sign()
    const queued = queueSlideReport(f.db, { slideId: f.slideId, who: 'Dr Lee' })
    // A process claimed it and died: the row says 'sending' with a lease.
    const now = new Date().toISOString()
    expect(claimOutboxMessage(f.db, queued.id, now, new Date(Date.now() + 60_000).toISOString())?.state).toBe('sending')
    expect(claimOutboxMessage(f.db, queued.id, now, now)).toBeUndefined() // nobody else can take it meanwhile
    expect(await deliverDue(f.db)).toEqual([])
    const later = () => new Date(Date.now() + 61_000)
    const [sent] = await deliverDue(f.db, { clock: later })
    expect(sent).toMatchObject({ state: 'sent', attempts: 2 })

    // A second message queued while no workstation ran is sent by the courier on start.
    reopenSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', reason: 'recount' })
    sign()
    const waiting = queueSlideReport(f.db, { slideId: f.slideId, who: 'Dr Lee' })
    const changed: number[] = []
    const courier = startOutboxCourier(f.db, { onChange: (rows) => changed.push(...rows.map((r) => r.id)) })
    for (let i = 0; i < 100 && getOutboxMessage(f.db, waiting.id)!.state !== 'sent'; i++) await new Promise((r) => setTimeout(r, 20))
    await courier.close()
    expect(getOutboxMessage(f.db, waiting.id)!.state).toBe('sent')
    expect(changed).toContain(waiting.id)
  })

  it('sends the report after a reopened sign-off as a correction (OBR-25 and OBX-11 C)', async () => {
    lis = await startLisListener({ answer: 'AA' })
    const to = { host: '127.0.0.1', port: lis.port }
    sign()
    await deliverOutboxMessage(f.db, queueSlideReport(f.db, { slideId: f.slideId, who: 'Dr Lee', to }).id)
    reopenSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', reason: 'cell 1 is a lymphocyte' })
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[0]!], label: 'lymphocyte', who: 'Dr Lee' })
    sign()
    const correction = queueSlideReport(f.db, { slideId: f.slideId, who: 'Dr Lee', to })
    expect(correction.resultStatus).toBe('C')
    expect((await deliverOutboxMessage(f.db, correction.id))!.state).toBe('sent')
    const text = lis.received[1]!
    expect(field(text, 'OBR.25')).toBe('C')
    const obx = text.split('\r').filter((s) => s.startsWith('OBX|'))
    expect(obx.length).toBeGreaterThan(0)
    expect(obx.every((s) => s.split('|')[11] === 'C')).toBe(true)
    expect(text).toMatch(/NTE\|\d+\|L\|CORRECTED REPORT/)
  })

  it('refuses an unsigned slide, a missing destination and a second copy on its way', () => {
    expect(() => queueSlideReport(f.db, { slideId: f.slideId, who: 'x', to: { host: '127.0.0.1', port: 9 } })).toThrow(/not signed/)
    sign()
    expect(() => queueSlideReport(f.db, { slideId: f.slideId, who: 'x' })).toThrow(/no LIS is configured/)
    queueSlideReport(f.db, { slideId: f.slideId, who: 'x', to: { host: '127.0.0.1', port: 9 } })
    expect(() => queueSlideReport(f.db, { slideId: f.slideId, who: 'x', to: { host: '127.0.0.1', port: 9 } })).toThrow(/already in the outbox/)
  })

  it('queues the final report with the signature when the lab sends at sign-off, and not otherwise', () => {
    const r1 = signAndQueue(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' })
    expect(r1.queued).toBeNull()
    reopenSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', reason: 'again' })
    setLisSettings(f.db, { host: 'lis.example', port: 2575, sendOnSignOff: true }, 'admin')
    const r2 = signAndQueue(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' })
    expect(r2.queued).toMatchObject({ state: 'pending', host: 'lis.example', port: 2575, resultStatus: 'C', who: 'Dr Lee' })
    expect(listOutboxMessages(f.db)).toHaveLength(1)
    expect(() => setLisSettings(f.db, { host: '', sendOnSignOff: true }, 'admin')).toThrow(/host and port/)
  })
})
