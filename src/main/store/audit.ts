// The tamper-evidence chain over the store's append-only records (labels,
// review actions and changes, comments, settings, sign-offs, blind answers,
// and any table a later migration adds to `audit_tables`).
//
// Every insert into an audited table appends one entry to `audit_chain`
// (an AFTER INSERT trigger, so no code path can forget it):
//
//   hash = SHA-256( previous entry's hash \n table \n row id \n row )
//
// where `row` is SQLite's json_array() of the row's columns, in the order
// `audit_tables` lists them for the entry's version (a migration that adds
// columns to an audited table calls addTableToChain again: new rows are
// hashed with every column, older entries keep their column list). The
// hash is computed by `wbc_chain`, a function this module registers on every
// connection the store opens: a connection without it (a plain sqlite3
// shell) cannot insert into an audited table at all while the triggers exist.
//
// verifyAuditChain recomputes every entry in order and reports the first
// record that does not match: a row changed or deleted behind the app's
// back, a chain entry altered, or a row with no chain entry. What it does
// not prove: someone holding the file and this code can recompute a whole
// new chain after editing rows (docs/security.md says what would).
import { createHash } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import type { Db } from './db'

/** The entry hash: the one definition both the insert triggers and verify use. */
export function chainHash(previous: string | null, table: string, rowId: number | bigint, rowJson: string): string {
  return createHash('sha256').update(`${previous ?? ''}\n${table}\n${rowId}\n${rowJson}`).digest('hex')
}

/** Makes wbc_chain() available to this connection's triggers (openStore and migrate call it). */
export function registerAuditFunctions(db: Database): void {
  db.function('wbc_chain', { deterministic: true, varargs: false }, (previous: unknown, table: unknown, rowId: unknown, rowJson: unknown) =>
    chainHash(previous === null ? null : String(previous), String(table), rowId as number, String(rowJson))
  )
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** The SQL expression a table's row is hashed by (`prefix` NEW. in triggers, '' in verify). */
export function rowJsonSql(columns: readonly string[], prefix = ''): string {
  return `json_array(${columns.map((c) => prefix + quote(c)).join(', ')})`
}

/**
 * Puts a table into the chain, or (called again after a migration added
 * columns to it) hashes its new rows with every column it now has. The first
 * time, every existing row gets an entry (in id order). Each call records
 * the column list as a new version in `audit_tables`, and entries name the
 * version they were hashed with, so older entries still verify against the
 * columns they covered. For migrations; the table needs an integer `id`.
 */
export function addTableToChain(db: Database, table: string): void {
  const columns = (db.pragma(`table_info(${quote(table)})`) as { name: string }[]).map((c) => c.name)
  if (!columns.includes('id')) throw new Error(`${table} has no id column: it cannot join the audit chain`)
  const version = ((db.prepare('SELECT max(version) FROM audit_tables WHERE tbl = ?').pluck().get(table) as number | null) ?? 0) + 1
  db.prepare('INSERT INTO audit_tables (tbl, version, columns_json) VALUES (?, ?, ?)').run(table, version, JSON.stringify(columns))
  if (version === 1) {
    const last = db.prepare('SELECT hash FROM audit_chain ORDER BY seq DESC LIMIT 1').pluck()
    const insert = db.prepare('INSERT INTO audit_chain (tbl, version, row_id, hash) VALUES (?, 1, ?, ?)')
    let previous = (last.get() as string | undefined) ?? null
    // .all(): better-sqlite3 runs no other statement while one iterates.
    for (const r of db.prepare(`SELECT id, ${rowJsonSql(columns)} AS j FROM ${quote(table)} ORDER BY id`).all() as { id: number; j: string }[]) {
      previous = chainHash(previous, table, r.id, r.j)
      insert.run(table, r.id, previous)
    }
  }
  const lit = `'${table.replace(/'/g, "''")}'`
  db.exec(`
    DROP TRIGGER IF EXISTS ${quote(`${table}_audit_chain`)};
    CREATE TRIGGER ${quote(`${table}_audit_chain`)} AFTER INSERT ON ${quote(table)}
    BEGIN
      INSERT INTO audit_chain (tbl, version, row_id, hash)
      VALUES (${lit}, ${version}, NEW.id,
              wbc_chain((SELECT hash FROM audit_chain ORDER BY seq DESC LIMIT 1), ${lit}, NEW.id, ${rowJsonSql(columns, 'NEW.')}));
    END;
  `)
}

export interface AuditBreak {
  table: string
  id: number
  /** The chain entry's position, null for a row that has none. */
  seq: number | null
  reason: 'changed' | 'deleted' | 'not-in-chain' | 'chain-entry-removed'
  message: string
}

export interface AuditVerification {
  ok: boolean
  /** Chain entries checked. */
  entries: number
  /** Records per audited table. */
  tables: Record<string, number>
  /** The first record that breaks the chain (in chain order; rows missing from the chain after that). */
  firstBreak: AuditBreak | null
  /** Audited tables whose append-only or chain triggers are gone (not a break by itself: a warning that someone had the file open with other tools). */
  missingTriggers: string[]
  lastHash: string | null
}

/** Recomputes the chain from the first entry and names the first record that does not match. */
export function verifyAuditChain(db: Db): AuditVerification {
  const versions = db.prepare('SELECT tbl, version, columns_json AS c FROM audit_tables ORDER BY tbl, version').all() as { tbl: string; version: number; c: string }[]
  const tables = new Set(versions.map((v) => v.tbl))
  const rowOf = new Map(versions.map((v) => [`${v.tbl}:${v.version}`, db.prepare(`SELECT ${rowJsonSql(JSON.parse(v.c) as string[])} FROM ${quote(v.tbl)} WHERE id = ?`).pluck()]))
  let previous: string | null = null
  let entries = 0
  let expectedSeq = 1
  let firstBreak: AuditBreak | null = null
  for (const e of db.prepare('SELECT seq, tbl, version, row_id AS id, hash FROM audit_chain ORDER BY seq').all() as { seq: number; tbl: string; version: number; id: number; hash: string }[]) {
    entries++
    if (!firstBreak && e.seq !== expectedSeq) {
      firstBreak = { table: e.tbl, id: e.id, seq: e.seq, reason: 'chain-entry-removed', message: `chain entries ${expectedSeq}..${e.seq - 1} are missing before ${e.tbl} #${e.id}` }
    }
    expectedSeq = e.seq + 1
    if (!firstBreak) {
      const row = rowOf.get(`${e.tbl}:${e.version}`)?.get(e.id) as string | undefined
      if (row === undefined) firstBreak = { table: e.tbl, id: e.id, seq: e.seq, reason: 'deleted', message: `${e.tbl} #${e.id} is in the chain but no longer in its table` }
      else if (chainHash(previous, e.tbl, e.id, row) !== e.hash) {
        firstBreak = { table: e.tbl, id: e.id, seq: e.seq, reason: 'changed', message: `${e.tbl} #${e.id} does not match its chain entry ${e.seq}: the row or the entry was changed` }
      }
    }
    previous = e.hash
  }
  const counts: Record<string, number> = {}
  for (const t of tables) {
    counts[t] = (db.prepare(`SELECT count(*) FROM ${quote(t)}`).pluck().get() as number)
    if (firstBreak) continue
    const stray = db
      .prepare(`SELECT id FROM ${quote(t)} WHERE id NOT IN (SELECT row_id FROM audit_chain WHERE tbl = ?) ORDER BY id LIMIT 1`)
      .pluck()
      .get(t) as number | undefined
    if (stray !== undefined) firstBreak = { table: t, id: stray, seq: null, reason: 'not-in-chain', message: `${t} #${stray} has no chain entry: it was written without the app's triggers` }
  }
  const triggers = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).pluck().all() as string[])
  const missingTriggers = [...tables].filter((t) => !triggers.has(`${t}_audit_chain`) || ![...triggers].some((n) => n.startsWith(`${t}_`) && n.includes('append_only')))
  return { ok: firstBreak === null, entries, tables: counts, firstBreak, missingTriggers, lastHash: previous }
}
