// The LIS outbox through its shells: `wbc slide send`, `wbc outbox list|send`
// and `wbc lis config` in-process on a real slide and database, and the
// workstation's API (sending at sign-off, the courier, the outbox.changed
// event) against the same independent MLLP listener the core tests use.
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openWorkstation, type Workstation } from '../../../src/main/api'
import { signSlide } from '../../../src/main/review'
import type { ApiEvent } from '../../../src/shared/api'
import type { OutboxMessage } from '../../../src/shared/lis'
import { freePort, startLisListener, type LisListener } from '../../helpers/lis-listener'
import { wbc as run } from '../../helpers/wbc'
import { PLAN, realSlide, type SlideFixture } from '../review/fixtures'
import { addTestUser, TEST_PASSWORD } from '../../helpers/people'

let f: SlideFixture
let lis: LisListener | undefined
let ws: Workstation | undefined
beforeEach(async () => {
  f = await realSlide(PLAN.slice(0, 3), 'S-LIS-2')
})
afterEach(async () => {
  await ws?.close()
  ws = undefined
  await lis?.close()
  lis = undefined
  f?.close()
})

const wbc = (args: string[]) => run([...args, '--db', join(f.dir, 'wbc.db')])

const sign = () => signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' })

describe('wbc slide send / wbc outbox', () => {
  it('delivers to the LIS and records the ACK', async () => {
    lis = await startLisListener({ answer: 'AA' })
    sign()
    const r = await wbc(['slide', 'send', 'S-LIS-2', '--to', `127.0.0.1:${lis.port}`])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/final report of S-LIS-2.*: sent, the LIS acknowledged it \(AA\)/)
    expect(lis.received).toHaveLength(1)
    const list = await wbc(['outbox', 'list', '--json'])
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ sampleId: 'S-LIS-2', state: 'sent', ackCode: 'AA', attempts: 1 })])
  })

  it('keeps the message in the outbox while the LIS is down, and sends it when the LIS is back', async () => {
    const port = await freePort()
    expect((await wbc(['lis', 'config', '--host', '127.0.0.1', '--port', String(port), '--ack-timeout-ms', '2000'])).code).toBe(0)
    sign()
    const r = await wbc(['slide', 'send', 'S-LIS-2'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/no answer yet .* waiting in the outbox/)
    const waiting = JSON.parse((await wbc(['outbox', 'list', '--state', 'pending', '--json'])).out) as OutboxMessage[]
    expect(waiting).toHaveLength(1)

    lis = await startLisListener({ answer: 'AA' }, port)
    const send = await wbc(['outbox', 'send'])
    expect(send.code).toBe(0)
    expect(send.out).toMatch(/sent, the LIS acknowledged it/)
    expect(lis.received).toHaveLength(1)
    const shown = JSON.parse((await wbc(['outbox', 'show', String(waiting[0]!.id), '--json'])).out)
    expect(shown.tries.map((t: { outcome: string }) => t.outcome)).toEqual(['no-answer', 'ack'])
  })

  it("shows the LIS's error for a rejected message and exits 1", async () => {
    lis = await startLisListener({ answer: 'AR', text: 'Patient not found' })
    sign()
    const r = await wbc(['slide', 'send', 'S-LIS-2', '--to', `127.0.0.1:${lis.port}`])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/REJECTED by the LIS \(AR\): Patient not found/)
    expect((await wbc(['outbox', 'list'])).out).toMatch(/REJECTED .*Patient not found/)
  })
})

describe('LIS through the workstation API', () => {
  it('sends the report at sign-off when the lab turns it on, and announces each change', async () => {
    const lee = await addTestUser(f.db, 'lee', ['verifier'])
    f.db.close() // the workstation opens the database itself
    lis = await startLisListener({ answer: 'AA' })
    ws = openWorkstation({ shell: 'browser', version: 't', dbPath: join(f.dir, 'wbc.db') })
    const events: ApiEvent[] = []
    ws.events.subscribe((e) => events.push(e))
    const set = await ws.dispatch('lis.settings', { host: '127.0.0.1', port: lis.port, sendOnSignOff: true }, 'local-operator')
    expect(set).toMatchObject({ ok: true, value: { sendOnSignOff: true, port: lis.port } })
    expect(await ws.dispatch('lis.settings', { port: 70000 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })

    // Dr Lee signs as herself: her session, her password asked again.
    const signed = await ws.dispatch('review.sign', { slideId: f.slideId, meaning: 'Reviewed and approved', password: TEST_PASSWORD }, { userId: lee.userId })
    expect(signed.ok).toBe(true)
    const isSent = (e: ApiEvent) => e.name === 'outbox.changed' && e.payload.messages.some((m) => m.state === 'sent')
    for (let i = 0; i < 150 && !events.some(isSent); i++) await new Promise((r) => setTimeout(r, 20))
    expect(events.filter((e) => e.name === 'outbox.changed').map((e) => (e.payload as { messages: OutboxMessage[] }).messages[0]!.state)).toEqual([
      'pending',
      'sent'
    ])
    expect(lis.received).toHaveLength(1)
    const list = await ws.dispatch('outbox.list', {}, 'local-operator')
    expect(list).toMatchObject({ ok: true, value: [{ state: 'sent', who: 'lee', resultStatus: 'F' }] })
    const id = (list as { value: OutboxMessage[] }).value[0]!.id
    const detail = await ws.dispatch('outbox.get', { id }, 'local-operator')
    expect(detail).toMatchObject({ ok: true, value: { id, tries: [{ outcome: 'ack', ackCode: 'AA' }] } })
    expect((detail as { value: { message: string } }).value.message.startsWith('MSH|^~\\&|')).toBe(true)
    expect(await ws.dispatch('outbox.retry', { id }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'conflict' } })
    expect(await ws.dispatch('lis.send', { slideId: f.slideId, to: 'nonsense' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
  })
})
