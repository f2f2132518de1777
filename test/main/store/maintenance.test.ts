// Keeping a serving database: the WAL checkpoint shrinks the -wal file when
// nobody reads, copies what it can without waiting when a reader holds an old
// snapshot; `wbc backup` copies the database while another connection (a
// thread of its own, as the lab server's core is) keeps writing, and the copy
// opens, passes integrity_check and `wbc audit verify`.
import { existsSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { appendLabel, backupDatabase, checkpointWal, openStore } from '../../../src/main/store'
import { wbc } from '../../helpers/wbc'
import { copyCells, tempDir } from '../import/fixtures'

const dir = tempDir('wbc-maintenance-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Another connection in its own thread, inserting slides in batches until told to stop; posts how many it has committed. */
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads')
const Database = require('better-sqlite3')
const db = new Database(workerData.file)
db.pragma('busy_timeout = 10000')
const insert = db.prepare("INSERT INTO slides (sample_id, source, created_at) VALUES (?, 'writer', ?)")
let n = 0
let stop = false
parentPort.on('message', () => { stop = true })
function loop() {
  db.transaction(() => { for (let i = 0; i < 10; i++) insert.run('W' + n++, new Date().toISOString()) })()
  parentPort.postMessage(n)
  if (stop) { db.close(); parentPort.postMessage('done') } else setImmediate(loop)
}
loop()
`

describe('WAL checkpoints', () => {
  it('truncates the WAL when nobody reads, and copies without waiting when a reader holds a snapshot', () => {
    const file = join(dir, 'checkpoint.sqlite')
    const db = openStore(file)
    db.pragma('wal_autocheckpoint = 0')
    const fill = db.prepare("INSERT INTO slides (sample_id, source, created_at) VALUES (?, ?, '2026-01-01')")
    for (let i = 0; i < 50; i++) fill.run(`S${i}`, 'x'.repeat(2000))
    expect(statSync(file + '-wal').size).toBeGreaterThan(50_000)
    const first = checkpointWal(db)
    expect(first).toMatchObject({ mode: 'TRUNCATE', busy: false })
    expect(statSync(file + '-wal').size).toBe(0)

    // A reader in the middle of a transaction keeps an old snapshot: TRUNCATE can't finish, PASSIVE copies what it may.
    const reader = new Database(file, { readonly: true })
    reader.exec('BEGIN')
    reader.prepare('SELECT count(*) FROM slides').get()
    for (let i = 50; i < 60; i++) fill.run(`S${i}`, 'y')
    const started = performance.now()
    const second = checkpointWal(db)
    expect(performance.now() - started).toBeLessThan(2000) // did not sit out the 10 s busy timeout
    expect(second.mode).toBe('PASSIVE')
    expect(db.pragma('busy_timeout', { simple: true })).toBe(10_000)
    reader.exec('COMMIT')
    reader.close()
    expect(checkpointWal(db)).toMatchObject({ mode: 'TRUNCATE', busy: false })
    db.close()
  })
})

describe('wbc backup', () => {
  it('copies the database while another connection writes; the copy passes integrity_check and wbc audit verify', async () => {
    const file = join(dir, 'lab.sqlite')
    copyCells('pbc-wbc', 'neutrophil', 3, join(dir, 'cells'), 'NE')
    expect((await wbc(['import', join(dir, 'cells'), '--db', file])).code).toBe(0)
    const db = openStore(file)
    appendLabel(db, { imageId: 1, class: 'monocyte', source: 'reviewer', who: 'ana' })
    // Some megabytes, so the copy is not over before the writer's first commit.
    const fill = db.prepare("INSERT INTO slides (sample_id, source, created_at) VALUES (?, ?, '2026-01-01')")
    db.transaction(() => {
      for (let i = 0; i < 800; i++) fill.run(`F${i}`, 'z'.repeat(8000))
    })()
    const slidesBefore = db.prepare('SELECT count(*) FROM slides').pluck().get() as number

    const writer = new Worker(WRITER, { eval: true, workerData: { file } })
    let written = 0
    const finished = new Promise<void>((resolve, reject) => {
      writer.on('message', (m: number | string) => (m === 'done' ? resolve() : (written = m as number)))
      writer.on('error', reject)
    })
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => written >= 20 && (clearInterval(wait), resolve()), 5)
    })
    const atStart = written
    const out = join(dir, 'backup.sqlite')
    const report = await backupDatabase(db, out)
    const atEnd = written
    // Let the writer commit a few more batches after the copy: the backup sat inside an unbroken stream of writes.
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => written >= atEnd + 20 && (clearInterval(wait), resolve()), 5)
    })
    writer.postMessage('stop')
    await finished
    const total = written

    expect(report).toMatchObject({ file: out, integrity: 'ok', audit: { ok: true, missingTriggers: [] } })
    expect(report.audit.entries).toBeGreaterThanOrEqual(4)
    // The copy holds one consistent snapshot: the filler and some prefix of the writer's batches, whole.
    const copy = new Database(out, { readonly: true })
    const copied = copy.prepare("SELECT count(*) FROM slides WHERE source = 'writer'").pluck().get() as number
    expect(copy.prepare("SELECT count(*) FROM slides WHERE source != 'writer'").pluck().get()).toBe(slidesBefore)
    expect(copied % 10).toBe(0)
    expect(copied).toBeGreaterThanOrEqual(atStart)
    expect(copied).toBeLessThanOrEqual(total)
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete')
    copy.close()
    expect(existsSync(out + '-wal')).toBe(false)
    db.close()

    const verify = await wbc(['audit', 'verify', '--db', out])
    expect(verify.code).toBe(0)
    expect(verify.out).toMatch(/audit chain intact/)
    // Through the command line as a lab would run it, beside the server; an existing file is never overwritten.
    const cli = await wbc(['backup', join(dir, 'second.sqlite'), '--db', file, '--json'])
    expect(cli.code).toBe(0)
    expect(JSON.parse(cli.out)).toMatchObject({ integrity: 'ok' })
    const again = await wbc(['backup', out, '--db', file])
    expect(again.code).toBe(1)
    expect(again.err).toMatch(/exists already/)
  })
})
