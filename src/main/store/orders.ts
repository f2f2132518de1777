// Rows of a slide's order log (slide_order_entries) and of the lab's
// reference-interval sets. Append and read only: what a field holds now, and
// what it held before, is derived by the order core (src/main/order).
import type { Db } from './db'
import { stmt } from './statements'

export interface OrderEntryRow {
  id: number
  slideId: number
  field: string
  value: string | null
  source: string
  who: string
  at: string
  why: string
}

const ENTRY_COLS = 'id, slide_id AS slideId, field, value, source, who, at, why'

export function appendOrderEntry(db: Db, e: Omit<OrderEntryRow, 'id'>): number {
  return Number(
    stmt(db, 'INSERT INTO slide_order_entries (slide_id, field, value, source, who, at, why) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      e.slideId,
      e.field,
      e.value,
      e.source,
      e.who,
      e.at,
      e.why
    ).lastInsertRowid
  )
}

/** Every entry of a slide's order, oldest first. */
export function orderEntries(db: Db, slideId: number): OrderEntryRow[] {
  return stmt<[number], OrderEntryRow>(db, `SELECT ${ENTRY_COLS} FROM slide_order_entries WHERE slide_id = ? ORDER BY id`).all(slideId)
}

export interface ReferenceSetRow {
  id: number
  name: string
  source: string
  intervalsJson: string
  who: string
  at: string
  why: string
}

const SET_COLS = 'id, name, source, intervals_json AS intervalsJson, who, at, why'

export function insertReferenceSet(db: Db, r: Omit<ReferenceSetRow, 'id'>): number {
  return Number(
    stmt(db, 'INSERT INTO reference_interval_sets (name, source, intervals_json, who, at, why) VALUES (?, ?, ?, ?, ?, ?)').run(
      r.name,
      r.source,
      r.intervalsJson,
      r.who,
      r.at,
      r.why
    ).lastInsertRowid
  )
}

/** The latest set, or the latest one recorded at or before `at` (ISO UTC text compares in time order). */
export function latestReferenceSet(db: Db, at?: string): ReferenceSetRow | undefined {
  return at === undefined
    ? stmt<[], ReferenceSetRow>(db, `SELECT ${SET_COLS} FROM reference_interval_sets ORDER BY id DESC LIMIT 1`).get()
    : stmt<[string], ReferenceSetRow>(db, `SELECT ${SET_COLS} FROM reference_interval_sets WHERE at <= ? ORDER BY id DESC LIMIT 1`).get(at)
}

export function listReferenceSets(db: Db): ReferenceSetRow[] {
  return stmt<[], ReferenceSetRow>(db, `SELECT ${SET_COLS} FROM reference_interval_sets ORDER BY id`).all()
}
