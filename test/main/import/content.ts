// A comparable summary of what a store holds (ids and times left out), for
// checking that two imports produced the same database content.
import { createHash } from 'node:crypto'
import type { Db } from '../../../src/main/store/index'

export function storeContent(db: Db) {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
  return {
    images: db
      .prepare(
        `SELECT i.sha256, i.format, i.width, i.height, i.byte_size AS byteSize, s.sample_id AS slide, o.bytes, p.pixels
         FROM images i JOIN image_originals o ON o.image_id = i.id LEFT JOIN slides s ON s.id = i.slide_id
         LEFT JOIN preprocessed_cells p ON p.image_id = i.id ORDER BY i.sha256`
      )
      .all()
      .map((r: any) => ({ ...r, bytes: sha(r.bytes) === r.sha256, pixels: r.pixels ? sha(r.pixels) : null })),
    labels: db
      .prepare(`SELECT i.sha256, l.class, l.source, l.raw_class AS rawClass FROM labels l JOIN images i ON i.id = l.image_id ORDER BY i.sha256, l.id`)
      .all(),
    current: db.prepare(`SELECT i.sha256, c.class FROM current_labels c JOIN images i ON i.id = c.image_id ORDER BY i.sha256`).all(),
    datasets: db
      .prepare(`SELECT d.name, i.sha256 FROM dataset_images x JOIN datasets d ON d.id = x.dataset_id JOIN images i ON i.id = x.image_id ORDER BY d.name, i.sha256`)
      .all(),
    slides: db.prepare(`SELECT sample_id AS sampleId, status FROM slides ORDER BY sample_id`).all()
  }
}
