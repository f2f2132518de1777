import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { latestVersion, migrate, MIGRATIONS, openStore, schemaVersion, type Db, type Migration } from '../../../src/main/store/index'
import { tempDir } from '../import/fixtures'

const dirs: string[] = []
const open: Db[] = []
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function fileDb(): { db: Db; file: string } {
  const dir = tempDir('wbc-store-')
  dirs.push(dir)
  const file = join(dir, 'nested', 'wbc.sqlite')
  const db = openStore(file)
  open.push(db)
  return { db, file }
}

describe('openStore', () => {
  it('creates the file and its folder, in WAL mode with foreign keys on and a busy timeout, at the latest schema version', () => {
    const { db, file } = fileDb()
    expect(existsSync(file)).toBe(true)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(10_000)
    expect(schemaVersion(db)).toBe(latestVersion())
    expect(latestVersion()).toBe(MIGRATIONS.length)
  })

  it('makes every table STRICT', () => {
    const { db } = fileDb()
    const tables = db.prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as {
      name: string
      strict: number
    }[]
    expect(tables.length).toBeGreaterThanOrEqual(9)
    for (const t of tables) expect({ name: t.name, strict: t.strict }).toEqual({ name: t.name, strict: 1 })
  })

  it('enforces foreign keys', () => {
    const { db } = fileDb()
    expect(() => db.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (999, 'neutrophil', 'folder', 'x')`).run()).toThrow(/FOREIGN KEY/)
  })

  it('refuses a database written by a newer version of the program', () => {
    const { db, file } = fileDb()
    db.pragma(`user_version = ${latestVersion() + 1}`)
    db.close()
    expect(() => openStore(file)).toThrow(/newer than this program/)
  })

  it('reopens an existing database without re-running migrations', () => {
    const { db, file } = fileDb()
    db.prepare(`INSERT INTO datasets (name, created_at) VALUES ('kept', 'now')`).run()
    db.close()
    const again = openStore(file)
    open.push(again)
    expect(again.prepare('SELECT name FROM datasets').all()).toEqual([{ name: 'kept' }])
  })
})

describe('migrate', () => {
  const extra: Migration = {
    version: MIGRATIONS.length + 1,
    name: 'test-notes',
    up: `CREATE TABLE notes (id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images(id), text TEXT NOT NULL) STRICT;`
  }

  it('applies a new migration to a database holding rows and keeps them', () => {
    const db = openStore(':memory:')
    open.push(db)
    db.prepare(`INSERT INTO datasets (name, created_at) VALUES ('d', 'now')`).run()
    expect(migrate(db, [...MIGRATIONS, extra])).toBe(extra.version)
    expect(db.prepare('SELECT name FROM datasets').all()).toEqual([{ name: 'd' }])
    expect(db.prepare(`SELECT count(*) AS n FROM notes`).get()).toEqual({ n: 0 })
  })

  it('rolls a failing migration back entirely, leaving the previous version', () => {
    const db = openStore(':memory:')
    open.push(db)
    const bad: Migration = { version: MIGRATIONS.length + 1, name: 'bad', up: `CREATE TABLE half (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);` }
    expect(() => migrate(db, [...MIGRATIONS, bad])).toThrow(/nowhere/)
    expect(schemaVersion(db)).toBe(MIGRATIONS.length)
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'`).get()).toEqual({ n: 0 })
  })

  it('refuses a registry with a gap or out of order', () => {
    const db = openStore(':memory:')
    open.push(db)
    expect(() => migrate(db, [...MIGRATIONS, { ...extra, version: extra.version + 1 }])).toThrow(/out of order/)
  })
})
