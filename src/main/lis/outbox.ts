// The outbox of results for the LIS: a signed slide's report is written into
// the database as an HL7 message first and sent after, so a LIS that is down,
// a dropped connection or a killed workstation loses nothing. Each message is
// tried until the LIS answers: AA/CA marks it sent, AE/AR (or CE/CR) marks it
// rejected with the LIS's reason (a person must look: sending the same message
// again would be refused again), and no answer schedules another try with a
// doubling wait until the allowed tries run out (failed). A try claims its
// message with a lease first, so two processes (the app and `wbc slide send`)
// never send one message at once, and a message whose sender died mid-try is
// taken up again when its lease runs out. Delivery is at least once: after a
// crash between the LIS's ACK and our record of it, the same message (same
// MSH-10 control id) goes again and the LIS can recognise it.
import { randomUUID } from 'node:crypto'
import { formatDestination, type OutboxMessage, type OutboxMessageDetail, type ResultStatus } from '../../shared/lis'
import { differentialToHl7 } from '../export/report'
import { buildDifferentialReport, DEFAULT_LAB_NAME } from '../review/export'
import { requireSlide } from '../review/state'
import type { Db } from '../store/db'
import {
  claimOutboxMessage,
  dueOutboxIds,
  finishOutboxAttempt,
  getOutboxMessage,
  insertOutboxMessage,
  listOutboxMessages,
  nextOutboxDue,
  outboxAttempts,
  requeueOutboxMessage,
  type OutboxRow
} from '../store/outbox'
import { signOffLog } from '../store/review'
import { LisError } from './errors'
import { sendOverMllp, type MllpOutcome } from './mllp'
import { lisSettings } from './settings'

/** Wait before try n+1 after n tries without an answer: 5 s, 10 s, 20 s ... at most 10 minutes. */
export function retryDelayMs(triesSoFar: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, triesSoFar - 1), 10 * 60_000)
}

export type Clock = () => Date

export interface QueueRequest {
  slideId: number
  who: string
  /** Default: the configured LIS. */
  to?: { host: string; port: number }
  clock?: Clock
}

/**
 * Writes the slide's signed report into the outbox as an ORU^R01. A report
 * after a reopened sign-off is a correction (OBR-25/OBX-11 C). Refused for an
 * unsigned slide (the LIS gets final results only), without a destination, or
 * while a message for the same sign-off is still on its way.
 */
export function queueSlideReport(db: Db, req: QueueRequest): OutboxRow {
  const clock = req.clock ?? (() => new Date())
  return db.transaction((): OutboxRow => {
    const slide = requireSlide(db, req.slideId)
    const settings = lisSettings(db)
    const to = req.to ?? (settings.host && settings.port !== null ? { host: settings.host, port: settings.port } : null)
    if (!to) throw new LisError('invalid_input', 'no LIS is configured: set its host and port (wbc lis config --host H --port P) or name one (--to HOST:PORT)')
    const log = signOffLog(db, slide.id)
    const last = log[log.length - 1]
    if (last?.status !== 'signed') throw new LisError('conflict', `slide ${slide.sampleId} is not signed: only signed results go to the LIS`)
    const onItsWay = listOutboxMessages(db, { slideId: slide.id }).find(
      (m) => m.signOffId === last.id && (m.state === 'pending' || m.state === 'sending')
    )
    if (onItsWay) throw new LisError('conflict', `the report of ${slide.sampleId} is already in the outbox (message ${onItsWay.id}, ${onItsWay.state})`)
    const correction = log.filter((s) => s.status === 'signed').length > 1
    const resultStatus: ResultStatus = correction ? 'C' : 'F'
    const at = clock().toISOString()
    const controlId = randomUUID().replace(/-/g, '').slice(0, 20).toUpperCase()
    const report = buildDifferentialReport(db, slide.id, { lab: { name: settings.labName || DEFAULT_LAB_NAME }, reportedAt: at })
    const message = differentialToHl7(report, {
      messageControlId: controlId,
      receivingApplication: settings.receivingApplication,
      receivingFacility: settings.receivingFacility,
      correction
    })
    const id = insertOutboxMessage(db, {
      slideId: slide.id,
      signOffId: last.id,
      resultStatus,
      controlId,
      host: to.host,
      port: to.port,
      message,
      maxAttempts: settings.maxAttempts,
      who: req.who,
      at
    })
    return getOutboxMessage(db, id)!
  }).immediate()
}

/**
 * One try of one message, if it is due and nobody else holds it (undefined
 * otherwise). `force` tries a pending message before its wait is over (a
 * person asked to send now, or the workstation has just started).
 */
export async function deliverOutboxMessage(db: Db, id: number, opts: { clock?: Clock; force?: boolean } = {}): Promise<OutboxRow | undefined> {
  const clock = opts.clock ?? (() => new Date())
  const settings = lisSettings(db)
  const started = clock()
  // The lease outlasts the connect and ACK waits with room to spare; only a
  // dead process leaves it to run out.
  const leaseUntil = new Date(started.getTime() + 2 * settings.ackTimeoutMs + 10_000).toISOString()
  const row = opts.force
    ? db.transaction(() => {
        const r = getOutboxMessage(db, id)
        if (r?.state !== 'pending') return claimOutboxMessage(db, id, started.toISOString(), leaseUntil)
        return claimOutboxMessage(db, id, r.nextAttemptAt < started.toISOString() ? started.toISOString() : r.nextAttemptAt, leaseUntil)
      }).immediate()
    : claimOutboxMessage(db, id, started.toISOString(), leaseUntil)
  if (!row) return undefined
  const outcome = await sendOverMllp(row.message, { host: row.host, port: row.port, timeoutMs: settings.ackTimeoutMs })
  record(db, row, outcome, clock())
  return getOutboxMessage(db, id)
}

function record(db: Db, row: OutboxRow, outcome: MllpOutcome, now: Date): void {
  const at = now.toISOString()
  if (outcome.kind === 'accepted' || outcome.kind === 'rejected') {
    finishOutboxAttempt(db, row.id, {
      state: outcome.kind === 'accepted' ? 'sent' : 'rejected',
      at,
      ackCode: outcome.ackCode,
      ackText: outcome.ackText,
      ackMessage: outcome.ackMessage,
      attempt: { outcome: outcome.kind === 'accepted' ? 'ack' : 'nak', ackCode: outcome.ackCode, detail: outcome.ackText }
    })
    return
  }
  const exhausted = row.attempts >= row.maxAttempts
  finishOutboxAttempt(db, row.id, {
    state: exhausted ? 'failed' : 'pending',
    at,
    ...(exhausted ? {} : { nextAttemptAt: new Date(now.getTime() + retryDelayMs(row.attempts)).toISOString() }),
    lastError: outcome.error,
    attempt: { outcome: 'no-answer', ackCode: null, detail: outcome.error }
  })
}

/** Tries every due message once, oldest first (one at a time: the LIS sees results in order). */
export async function deliverDue(db: Db, opts: { clock?: Clock; force?: boolean } = {}): Promise<OutboxRow[]> {
  const clock = opts.clock ?? (() => new Date())
  const ids = opts.force
    ? listOutboxMessages(db, { state: 'pending' }).map((m) => m.id).reverse().concat(dueOutboxIds(db, clock().toISOString()))
    : dueOutboxIds(db, clock().toISOString())
  const out: OutboxRow[] = []
  for (const id of new Set(ids)) {
    const r = await deliverOutboxMessage(db, id, opts)
    if (r) out.push(r)
  }
  return out
}

/** A failed or rejected message queued again for a fresh series of tries. */
export function retryOutboxMessage(db: Db, id: number): OutboxRow {
  const row = getOutboxMessage(db, id)
  if (!row) throw new LisError('not_found', `outbox message ${id} not found`)
  if (!requeueOutboxMessage(db, id)) throw new LisError('conflict', `outbox message ${id} is ${row.state}: only failed or rejected messages are queued again`)
  return getOutboxMessage(db, id)!
}

export function outboxView(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    slideId: row.slideId,
    sampleId: row.sampleId,
    resultStatus: row.resultStatus,
    controlId: row.controlId,
    destination: formatDestination(row.host, row.port),
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    nextAttemptAt: row.state === 'pending' ? row.nextAttemptAt : null,
    lastError: row.lastError,
    ackCode: row.ackCode,
    ackText: row.ackText,
    who: row.who,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt
  }
}

export function outboxDetail(db: Db, id: number): OutboxMessageDetail {
  const row = getOutboxMessage(db, id)
  if (!row) throw new LisError('not_found', `outbox message ${id} not found`)
  return { ...outboxView(row), message: row.message, ackMessage: row.ackMessage, tries: outboxAttempts(db, id) }
}

export interface OutboxCourier {
  /** Look at the outbox now (a message was queued). */
  kick(): void
  /** Stops the timer and waits for a try in progress. */
  close(): Promise<void>
}

/**
 * The workstation's background sender: at start it tries every pending
 * message at once (whatever was left when the app stopped), then sleeps until
 * the next message is due, looking again at least every `pollMs` for messages
 * another process (the CLI) queued. One pass at a time.
 */
export function startOutboxCourier(db: Db, opts: { clock?: Clock; pollMs?: number; onChange?: (rows: OutboxRow[]) => void } = {}): OutboxCourier {
  const clock = opts.clock ?? (() => new Date())
  const pollMs = opts.pollMs ?? 30_000
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  let closed = false
  let first = true

  const schedule = () => {
    if (closed) return
    const due = nextOutboxDue(db)
    const wait = due === null ? pollMs : Math.max(0, Math.min(pollMs, Date.parse(due) - clock().getTime()))
    clearTimeout(timer)
    timer = setTimeout(kick, wait)
    timer.unref?.()
  }
  const pass = async () => {
    do {
      again = false
      const force = first
      first = false
      try {
        const rows = await deliverDue(db, { clock, force })
        if (rows.length) opts.onChange?.(rows)
      } catch (err) {
        // A database fault must not stop the courier; the next pass retries.
        console.error('outbox: a delivery pass failed:', err)
      }
    } while (again && !closed)
  }
  function kick(): void {
    if (closed) return
    if (running) {
      again = true
      return
    }
    running = pass().finally(() => {
      running = undefined
      schedule()
    })
  }
  kick()
  return {
    kick,
    async close() {
      closed = true
      clearTimeout(timer)
      await running
    }
  }
}
