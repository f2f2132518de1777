// Slides: one blood smear / sample order whose cells were exported together.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export interface SlideRow {
  id: number
  sampleId: string
  source: string
  status: string
  createdAt: string
  /** Moves whenever what the slide's review shows may have changed (migration 11's triggers). */
  revision: number
}

export interface SlideSummary extends SlideRow {
  imageCount: number
}

const COLS = 'id, sample_id AS sampleId, source, status, created_at AS createdAt, revision'

/** The slide with this sample id, created (with `source`) if it is new. */
export function ensureSlide(db: Db, sampleId: string, source: string): number {
  const found = stmt<[string], { id: number }>(db, 'SELECT id FROM slides WHERE sample_id = ?').get(sampleId)
  if (found) return found.id
  return Number(
    stmt(db, 'INSERT INTO slides (sample_id, source, created_at) VALUES (?, ?, ?)').run(sampleId, source, nowIso()).lastInsertRowid
  )
}

export function getSlide(db: Db, id: number): SlideRow | undefined {
  return stmt<[number], SlideRow>(db, `SELECT ${COLS} FROM slides WHERE id = ?`).get(id)
}

export function getSlideBySampleId(db: Db, sampleId: string): SlideRow | undefined {
  return stmt<[string], SlideRow>(db, `SELECT ${COLS} FROM slides WHERE sample_id = ?`).get(sampleId)
}

export function setSlideStatus(db: Db, id: number, status: string): void {
  const r = stmt(db, 'UPDATE slides SET status = ? WHERE id = ?').run(status, id)
  if (r.changes !== 1) throw new Error(`no slide with id ${id}`)
}

export function listSlides(db: Db): SlideSummary[] {
  return stmt<[], SlideSummary>(
    db,
    `SELECT s.id, s.sample_id AS sampleId, s.source, s.status, s.created_at AS createdAt, s.revision,
            (SELECT count(*) FROM images i WHERE i.slide_id = s.id) AS imageCount
     FROM slides s ORDER BY s.sample_id`
  ).all()
}
