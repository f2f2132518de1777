// Rows of the LIS outbox (migration 5): messages with their state, the log of
// every try, and the LIS settings log. Plain reads and writes; when to send,
// how long to wait and what an ACK means live in src/main/lis.
import { DEFAULT_LIS_SETTINGS, type LisSettings, type OutboxAttempt, type OutboxState, type ResultStatus } from '../../shared/lis'
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export interface OutboxRow {
  id: number
  slideId: number
  sampleId: string
  signOffId: number | null
  resultStatus: ResultStatus
  controlId: string
  host: string
  port: number
  message: string
  state: OutboxState
  attempts: number
  maxAttempts: number
  nextAttemptAt: string
  leaseUntil: string | null
  lastError: string
  ackCode: string | null
  ackText: string | null
  ackMessage: string | null
  who: string
  createdAt: string
  updatedAt: string
}

const SELECT = `
  SELECT o.id, o.slide_id AS slideId, s.sample_id AS sampleId, o.sign_off_id AS signOffId, o.result_status AS resultStatus,
         o.control_id AS controlId, o.host, o.port, o.message, o.state, o.attempts, o.max_attempts AS maxAttempts,
         o.next_attempt_at AS nextAttemptAt, o.lease_until AS leaseUntil, o.last_error AS lastError, o.ack_code AS ackCode,
         o.ack_text AS ackText, o.ack_message AS ackMessage, o.who, o.created_at AS createdAt, o.updated_at AS updatedAt
  FROM lis_outbox o JOIN slides s ON s.id = o.slide_id`

export interface NewOutboxMessage {
  slideId: number
  signOffId: number | null
  resultStatus: ResultStatus
  controlId: string
  host: string
  port: number
  message: string
  maxAttempts: number
  who: string
  at?: string
}

export function insertOutboxMessage(db: Db, m: NewOutboxMessage): number {
  const at = m.at ?? nowIso()
  const r = stmt(
    db,
    `INSERT INTO lis_outbox (slide_id, sign_off_id, result_status, control_id, host, port, message, state, max_attempts, next_attempt_at, who, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`
  ).run(m.slideId, m.signOffId, m.resultStatus, m.controlId, m.host, m.port, m.message, m.maxAttempts, at, m.who, at, at)
  return Number(r.lastInsertRowid)
}

export function getOutboxMessage(db: Db, id: number): OutboxRow | undefined {
  return stmt<[number], OutboxRow>(db, `${SELECT} WHERE o.id = ?`).get(id)
}

export function listOutboxMessages(db: Db, filter: { slideId?: number; state?: OutboxState } = {}): OutboxRow[] {
  return stmt<[number | null, number | null, string | null, string | null], OutboxRow>(
    db,
    `${SELECT} WHERE (? IS NULL OR o.slide_id = ?) AND (? IS NULL OR o.state = ?) ORDER BY o.id DESC`
  ).all(filter.slideId ?? null, filter.slideId ?? null, filter.state ?? null, filter.state ?? null)
}

/**
 * Messages due now: pending ones whose time has come, and 'sending' ones whose
 * lease ran out (their process died mid-send), oldest first.
 */
export function dueOutboxIds(db: Db, now: string): number[] {
  return stmt<[string, string], number>(
    db,
    `SELECT id FROM lis_outbox
     WHERE (state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND lease_until <= ?)
     ORDER BY id`
  )
    .pluck()
    .all(now, now)
}

/** The earliest time a pending or leased message becomes due (null: nothing waits). */
export function nextOutboxDue(db: Db): string | null {
  return (
    stmt<[], string | null>(
      db,
      `SELECT min(CASE state WHEN 'pending' THEN next_attempt_at ELSE lease_until END) FROM lis_outbox WHERE state IN ('pending', 'sending')`
    )
      .pluck()
      .get() ?? null
  )
}

/**
 * Takes a due message for one try: only one process wins (the UPDATE is its
 * own check), the try is counted before the network is touched so a crash
 * mid-send still counts it, and the lease says how long the claim holds.
 */
export function claimOutboxMessage(db: Db, id: number, now: string, leaseUntil: string): OutboxRow | undefined {
  const r = stmt(
    db,
    `UPDATE lis_outbox SET state = 'sending', attempts = attempts + 1, lease_until = ?, updated_at = ?
     WHERE id = ? AND ((state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND lease_until <= ?))`
  ).run(leaseUntil, now, id, now, now)
  return r.changes === 1 ? getOutboxMessage(db, id) : undefined
}

export interface OutboxOutcome {
  state: Exclude<OutboxState, 'sending'>
  at: string
  /** For 'pending': when to try again. */
  nextAttemptAt?: string
  lastError?: string
  ackCode?: string | null
  ackText?: string | null
  ackMessage?: string | null
  attempt: Omit<OutboxAttempt, 'at'>
}

/** Records one try's outcome: the message's new state and an appended row in lis_attempts. */
export function finishOutboxAttempt(db: Db, id: number, o: OutboxOutcome): void {
  db.transaction(() => {
    stmt(
      db,
      `UPDATE lis_outbox SET state = ?, lease_until = NULL, next_attempt_at = coalesce(?, next_attempt_at),
         last_error = coalesce(?, last_error), ack_code = coalesce(?, ack_code), ack_text = coalesce(?, ack_text),
         ack_message = coalesce(?, ack_message), updated_at = ?
       WHERE id = ?`
    ).run(o.state, o.nextAttemptAt ?? null, o.lastError ?? null, o.ackCode ?? null, o.ackText ?? null, o.ackMessage ?? null, o.at, id)
    stmt(db, 'INSERT INTO lis_attempts (outbox_id, at, outcome, ack_code, detail) VALUES (?, ?, ?, ?, ?)').run(
      id,
      o.at,
      o.attempt.outcome,
      o.attempt.ackCode,
      o.attempt.detail
    )
  })()
}

/** Puts a failed or rejected message back in the queue for a fresh series of tries (a person asked for it). */
export function requeueOutboxMessage(db: Db, id: number, at: string = nowIso()): boolean {
  const r = stmt(
    db,
    `UPDATE lis_outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state IN ('failed', 'rejected')`
  ).run(at, at, id)
  return r.changes === 1
}

export function outboxAttempts(db: Db, id: number): OutboxAttempt[] {
  return stmt<[number], OutboxAttempt>(
    db,
    'SELECT at, outcome, ack_code AS ackCode, detail FROM lis_attempts WHERE outbox_id = ? ORDER BY id'
  ).all(id)
}

// ---------------------------------------------------------------------------
// LIS settings (append-only; the latest row is in force)

interface LisSettingsRow {
  host: string
  port: number | null
  send_on_sign_off: number
  receiving_application: string
  receiving_facility: string
  lab_name: string
  max_attempts: number
  ack_timeout_ms: number
}

export function storedLisSettings(db: Db): LisSettings {
  const r = stmt<[], LisSettingsRow>(db, 'SELECT * FROM lis_settings ORDER BY id DESC LIMIT 1').get()
  if (!r) return { ...DEFAULT_LIS_SETTINGS }
  return {
    host: r.host,
    port: r.port,
    sendOnSignOff: r.send_on_sign_off === 1,
    receivingApplication: r.receiving_application,
    receivingFacility: r.receiving_facility,
    labName: r.lab_name,
    maxAttempts: r.max_attempts,
    ackTimeoutMs: r.ack_timeout_ms
  }
}

export function appendLisSettings(db: Db, s: LisSettings, who: string, at: string = nowIso()): void {
  stmt(
    db,
    `INSERT INTO lis_settings (host, port, send_on_sign_off, receiving_application, receiving_facility, lab_name, max_attempts, ack_timeout_ms, who, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(s.host, s.port, s.sendOnSignOff ? 1 : 0, s.receivingApplication, s.receivingFacility, s.labName, s.maxAttempts, s.ackTimeoutMs, who, at)
}
