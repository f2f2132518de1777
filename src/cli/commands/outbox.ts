// `wbc outbox list|show|retry|send` and `wbc lis config`: the messages for
// the LIS with their state, one message with its HL7 text and every try,
// queueing a failed or rejected one again, trying what waits now, and the
// LIS connection settings. Thin over src/main/lis.
import type { LisSettings, OutboxMessage, OutboxState } from '../../shared/lis'
import { OUTBOX_STATES } from '../../shared/lis'
import { deliverDue, lisSettings, outboxDetail, outboxView, retryOutboxMessage, setLisSettings } from '../../main/lis'
import { listOutboxMessages } from '../../main/store/outbox'
import type { CliCommand } from '../context'

/** One line a person reads: which message, where it stands and why. */
export function describeOutboxMessage(m: OutboxMessage): string {
  const kind = m.resultStatus === 'C' ? 'correction' : m.resultStatus === 'F' ? 'final report' : 'preliminary report'
  const head = `message ${m.id} (${kind} of ${m.sampleId}, control id ${m.controlId}) to ${m.destination}`
  switch (m.state) {
    case 'sent':
      return `${head}: sent, the LIS acknowledged it (${m.ackCode})`
    case 'rejected':
      return `${head}: REJECTED by the LIS (${m.ackCode}): ${m.ackText ?? ''}`
    case 'failed':
      return `${head}: FAILED after ${m.attempts} tries: ${m.lastError}`
    case 'sending':
      return `${head}: being sent now (try ${m.attempts})`
    case 'pending':
      return m.attempts === 0
        ? `${head}: waiting in the outbox`
        : `${head}: no answer yet (${m.lastError}); waiting in the outbox, next try ${m.nextAttemptAt} (try ${m.attempts} of ${m.maxAttempts} done)`
  }
}

function parseOnOff(v: string): boolean {
  if (/^(on|yes|true|1)$/i.test(v)) return true
  if (/^(off|no|false|0)$/i.test(v)) return false
  throw new Error(`expected on or off, got "${v}"`)
}

function parseInteger(v: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`expected a whole number, got "${v}"`)
  return Number(v)
}

export const outboxCommand: CliCommand = (cli) => {
  const outbox = cli.group('outbox', 'results for the LIS: messages, their state, tries')

  outbox
    .command('list')
    .description('messages for the LIS, newest first, with their state')
    .option('--slide <id>', 'only this slide (numeric id)', parseInteger)
    .option('--state <state>', `only one state: ${OUTBOX_STATES.join(', ')}`)
    .option('--json', 'print as JSON')
    .action((o: { slide?: number; state?: string; json?: boolean }) => {
      if (o.state && !(OUTBOX_STATES as readonly string[]).includes(o.state)) throw new Error(`--state must be one of ${OUTBOX_STATES.join(', ')}`)
      const rows = listOutboxMessages(cli.openDb(), { slideId: o.slide, state: o.state as OutboxState | undefined }).map(outboxView)
      if (o.json) return cli.json(rows)
      if (!rows.length) return cli.out('The outbox is empty.')
      cli.out(rows.map(describeOutboxMessage).join('\n'))
    })

  outbox
    .command('show')
    .description('one message: state, every try, the HL7 text as sent and the ACK as received')
    .argument('<id>', 'message id', parseInteger)
    .option('--json', 'print as JSON')
    .action((id: number, o: { json?: boolean }) => {
      const d = outboxDetail(cli.openDb(), id)
      if (o.json) return cli.json(d)
      const tries = d.tries.map((t) => `  ${t.at}  ${t.outcome}${t.ackCode ? ` ${t.ackCode}` : ''}${t.detail ? `: ${t.detail}` : ''}`)
      cli.out(
        [describeOutboxMessage(d), 'tries:', ...(tries.length ? tries : ['  none yet']), 'message:', d.message.replace(/\r/g, '\n'), ...(d.ackMessage ? ['ack:', d.ackMessage.replace(/\r/g, '\n')] : [])].join('\n')
      )
    })

  outbox
    .command('retry')
    .description('queue a failed or rejected message again and try it now')
    .argument('<id>', 'message id', parseInteger)
    .action(async (id: number) => {
      const db = cli.openDb()
      retryOutboxMessage(db, id)
      await deliverDue(db, { force: true })
      const m = outboxView(listOutboxMessages(db).find((r) => r.id === id)!)
      cli.out(describeOutboxMessage(m))
      if (m.state === 'rejected' || m.state === 'failed') cli.exitCode = 1
    })

  outbox
    .command('send')
    .description('try every waiting message now (the workstation also does this by itself)')
    .action(async () => {
      const rows = await deliverDue(cli.openDb(), { force: true })
      if (!rows.length) return cli.out('Nothing waits in the outbox.')
      cli.out(rows.map((r) => describeOutboxMessage(outboxView(r))).join('\n'))
      if (rows.some((r) => r.state !== 'sent')) cli.exitCode = 1
    })

  const lis = cli.group('lis', 'the LIS connection results are sent to')
  lis
    .command('config')
    .description('show or change the LIS connection (with no options: show it)')
    .option('--host <host>', "the LIS's host name or address ('' to clear)")
    .option('--port <port>', "the LIS's MLLP port", parseInteger)
    .option('--send-on-sign-off <on|off>', 'queue the final report for the LIS when a slide is signed', parseOnOff)
    .option('--receiving-application <name>', 'MSH-5')
    .option('--receiving-facility <name>', 'MSH-6')
    .option('--lab-name <name>', 'MSH-4 and the assigning authority of ids')
    .option('--max-attempts <n>', 'tries before a message is marked failed', parseInteger)
    .option('--ack-timeout-ms <ms>', 'how long to wait for the ACK on each try', parseInteger)
    .option('--json', 'print as JSON')
    .action((o: Partial<LisSettings> & { json?: boolean }) => {
      const db = cli.openDb()
      const { json, ...change } = o
      const s = Object.keys(change).length ? setLisSettings(db, change, '') : lisSettings(db)
      if (json) return cli.json(s)
      cli.out(
        [
          `LIS: ${s.host && s.port !== null ? `${s.host}:${s.port}` : 'not configured'}`,
          `send at sign-off: ${s.sendOnSignOff ? 'on' : 'off'}`,
          `receiving application / facility: ${s.receivingApplication || '-'} / ${s.receivingFacility || '-'}`,
          `lab name: ${s.labName || '(default)'}`,
          `tries: ${s.maxAttempts}, ACK timeout: ${s.ackTimeoutMs} ms`
        ].join('\n')
      )
    })
}
