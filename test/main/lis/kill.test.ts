// Nothing is lost when the sender is killed: a real `wbc slide send` process
// waits for the ACK of a LIS that stays silent and is killed (SIGKILL) in the
// middle of the try; its message stays in the outbox ('sending', leased), and
// once the lease runs out the next sender delivers it, with the same MSH-10
// control id so the LIS can tell it is a repeat.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { deliverDue, setLisSettings } from '../../../src/main/lis'
import { signSlide } from '../../../src/main/review'
import { getOutboxMessage, listOutboxMessages } from '../../../src/main/store'
import { startLisListener, type LisListener } from '../../helpers/lis-listener'
import { PLAN, realSlide, type SlideFixture } from '../review/fixtures'

const ROOT = join(__dirname, '../../..')

let f: SlideFixture
let lis: LisListener | undefined
beforeEach(async () => {
  f = await realSlide(PLAN.slice(0, 3), 'S-LIS-KILL')
})
afterEach(async () => {
  await lis?.close()
  lis = undefined
  f?.close()
})

describe('a sender killed mid-send', () => {
  it('leaves the message in the outbox, and the next sender delivers it after the lease', async () => {
    lis = await startLisListener({ answer: 'silent' })
    setLisSettings(f.db, { host: '127.0.0.1', port: lis.port, ackTimeoutMs: 60_000 }, 'admin')
    signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' })

    const child = spawn(process.execPath, [join(ROOT, 'bin/wbc.js'), 'slide', 'send', 'S-LIS-KILL', '--db', join(f.dir, 'wbc.db')], {
      cwd: ROOT,
      stdio: 'ignore'
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    // Wait until the LIS has the message (the child is now waiting for the ACK), then kill it.
    for (let i = 0; i < 600 && lis.received.length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(lis.received).toHaveLength(1)
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')

    const [row] = listOutboxMessages(f.db)
    expect(row).toMatchObject({ state: 'sending', attempts: 1 })
    // Still leased to the dead process: nobody takes it yet.
    expect(await deliverDue(f.db)).toEqual([])

    lis.mode = { answer: 'AA' }
    const afterLease = () => new Date(Date.parse(row!.leaseUntil!) + 1)
    const [sent] = await deliverDue(f.db, { clock: afterLease })
    expect(sent).toMatchObject({ id: row!.id, state: 'sent', attempts: 2, ackCode: 'AA' })
    expect(lis.received).toHaveLength(2)
    expect(lis.received[1]).toBe(lis.received[0]) // the same message, the same control id
    expect(getOutboxMessage(f.db, row!.id)!.controlId).toBe(row!.controlId)
  }, 60_000)
})
