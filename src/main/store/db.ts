// Opening the workstation's SQLite store: pragmas every connection needs and
// the numbered migrations under PRAGMA user_version.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { MIGRATIONS, type Migration } from './migrations/index'
import { registerAuditFunctions } from './audit'
import { assertLocalDatabase } from './location'

export type Db = Database.Database

export interface OpenStoreOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean
  /** Open read-only (no migrations are applied). */
  readonly?: boolean
  /** How long a writer waits for another connection's lock, ms (default 10 s). */
  busyTimeoutMs?: number
  /** Passed to better-sqlite3 (the Electron build hands its own binary here). */
  nativeBinding?: string
}

/** Opens (creating if needed) the store at `file` (or ':memory:') and brings its schema up to date. */
export function openStore(file: string, opts: OpenStoreOptions = {}): Db {
  if (file !== ':memory:' && !opts.readonly) {
    // Before anything is created: a database on a network share is refused (./location says why).
    assertLocalDatabase(file)
    mkdirSync(dirname(file), { recursive: true })
  }
  const db = new Database(file, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.readonly ?? false,
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {})
  })
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 10_000))}`)
    db.pragma('foreign_keys = ON')
    // The audit chain's insert triggers call wbc_chain() (./audit).
    registerAuditFunctions(db)
    if (!opts.readonly) {
      if (file !== ':memory:') db.pragma('journal_mode = WAL')
      // WAL + NORMAL stays consistent across a crash or kill -9; only the last
      // transactions before a power cut may be lost.
      db.pragma('synchronous = NORMAL')
      if (opts.migrate ?? true) migrate(db)
    }
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

/** The newest version the registry knows. */
export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.length ? migrations[migrations.length - 1].version : 0
}

/**
 * Applies every migration newer than the database's user_version, up to
 * `target` (default: all), each in its own transaction that also bumps
 * user_version. Refuses a database newer than this code.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS, target = latestVersion(migrations)): number {
  checkRegistry(migrations)
  registerAuditFunctions(db)
  const current = schemaVersion(db)
  if (current > latestVersion(migrations)) {
    throw new Error(`database schema version ${current} is newer than this program knows (${latestVersion(migrations)}); update the workstation`)
  }
  for (const m of migrations) {
    if (m.version <= current || m.version > target) continue
    db.transaction(() => {
      // Another process may have applied it while this one waited for the write lock.
      if (schemaVersion(db) >= m.version) return
      if (typeof m.up === 'string') db.exec(m.up)
      else m.up(db)
      db.pragma(`user_version = ${m.version}`)
    }).immediate()
  }
  if (db.pragma('foreign_keys', { simple: true }) === 1) {
    const broken = db.pragma('foreign_key_check') as unknown[]
    if (broken.length) throw new Error(`foreign key check failed after migrating: ${JSON.stringify(broken.slice(0, 3))}`)
  }
  return schemaVersion(db)
}

function checkRegistry(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration registry out of order: position ${i + 1} holds version ${m.version} (${m.name})`)
  })
}

/** Current time as the store writes it (ISO 8601, UTC). */
export function nowIso(): string {
  return new Date().toISOString()
}
