// Version 1: slides, images with their original bytes, the append-only label
// history, datasets, import batches with an outcome per file, and the
// rebuildable cache of preprocessed pixels.
import type { Migration } from './types'

export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up: /* sql */ `
    CREATE TABLE slides (
      id          INTEGER PRIMARY KEY,
      sample_id   TEXT NOT NULL UNIQUE,          -- sample / order id (from the export's slide folder or manifest)
      source      TEXT NOT NULL,                 -- where it came from: the import path, an analyser name
      status      TEXT NOT NULL DEFAULT 'imported', -- imported | classified | in_review | signed ... (workflow owns it)
      created_at  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE datasets (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      description TEXT NOT NULL DEFAULT '',
      created_at  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE import_batches (
      id           INTEGER PRIMARY KEY,
      source_path  TEXT NOT NULL,
      dataset_id   INTEGER REFERENCES datasets(id),
      status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'interrupted', 'failed')),
      started_at   TEXT NOT NULL,
      finished_at  TEXT,
      pid          INTEGER,                      -- to tell a killed import from a running one
      options_json TEXT NOT NULL DEFAULT '{}'
    ) STRICT;

    CREATE TABLE images (
      id              INTEGER PRIMARY KEY,
      sha256          TEXT NOT NULL UNIQUE,       -- hex digest of the original file bytes
      format          TEXT NOT NULL,              -- jpeg | png | bmp | tiff
      width           INTEGER NOT NULL,
      height          INTEGER NOT NULL,
      byte_size       INTEGER NOT NULL,
      file_name       TEXT NOT NULL,
      source_path     TEXT NOT NULL,              -- where the file was first imported from
      slide_id        INTEGER REFERENCES slides(id),
      import_batch_id INTEGER NOT NULL REFERENCES import_batches(id),
      imported_at     TEXT NOT NULL
    ) STRICT;
    CREATE INDEX images_slide ON images(slide_id);

    -- The original file bytes, apart from the image row so listing images never
    -- pages through blobs. Never deleted: everything else can be rebuilt from it.
    CREATE TABLE image_originals (
      image_id INTEGER PRIMARY KEY REFERENCES images(id),
      bytes    BLOB NOT NULL
    ) STRICT;

    -- Append-only label history. The current label is derived (current_labels).
    CREATE TABLE labels (
      id              INTEGER PRIMARY KEY,
      image_id        INTEGER NOT NULL REFERENCES images(id),
      class           TEXT NOT NULL,             -- canonical class: neutrophil ... or ig, erythroblast, platelet ...
      source          TEXT NOT NULL CHECK (source IN ('folder', 'manifest', 'reviewer', 'expert', 'model')),
      who             TEXT NOT NULL DEFAULT '',  -- user name, 'import', a model id
      at              TEXT NOT NULL,             -- ISO 8601 UTC
      why             TEXT NOT NULL DEFAULT '',
      raw_class       TEXT,                      -- the folder name / manifest value before normalising
      import_batch_id INTEGER REFERENCES import_batches(id)
    ) STRICT;
    CREATE INDEX labels_image ON labels(image_id, id);
    CREATE TRIGGER labels_append_only_update BEFORE UPDATE ON labels
      BEGIN SELECT RAISE(ABORT, 'labels are an append-only history'); END;
    CREATE TRIGGER labels_append_only_delete BEFORE DELETE ON labels
      BEGIN SELECT RAISE(ABORT, 'labels are an append-only history'); END;

    -- The current label: the most authoritative source wins (expert > reviewer >
    -- folder/manifest > model). Among reviewer, expert or model labels the latest
    -- wins; among imported labels the first stays, so a later export that files
    -- the same cell elsewhere adds a conflict (label_conflicts) without changing it.
    CREATE VIEW current_labels AS
      SELECT image_id, label_id, class, source, who, at, why FROM (
        SELECT l.image_id, l.id AS label_id, l.class, l.source, l.who, l.at, l.why,
               ROW_NUMBER() OVER (
                 PARTITION BY l.image_id
                 ORDER BY CASE l.source WHEN 'expert' THEN 4 WHEN 'reviewer' THEN 3
                                        WHEN 'manifest' THEN 2 WHEN 'folder' THEN 2 ELSE 1 END DESC,
                          CASE WHEN l.source IN ('folder', 'manifest') THEN -l.id ELSE l.id END DESC) AS rn
        FROM labels l)
      WHERE rn = 1;

    -- Images whose imported labels disagree and that no reviewer or expert has settled yet.
    CREATE VIEW label_conflicts AS
      SELECT l.image_id, group_concat(DISTINCT l.class) AS classes, count(DISTINCT l.class) AS n_classes
      FROM labels l
      WHERE l.source IN ('folder', 'manifest')
        AND NOT EXISTS (SELECT 1 FROM labels h WHERE h.image_id = l.image_id AND h.source IN ('reviewer', 'expert'))
      GROUP BY l.image_id
      HAVING count(DISTINCT l.class) > 1;

    CREATE TABLE dataset_images (
      dataset_id INTEGER NOT NULL REFERENCES datasets(id),
      image_id   INTEGER NOT NULL REFERENCES images(id),
      added_at   TEXT NOT NULL,
      PRIMARY KEY (dataset_id, image_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX dataset_images_image ON dataset_images(image_id);

    -- One row per file an import looked at, whatever happened to it.
    CREATE TABLE import_files (
      id        INTEGER PRIMARY KEY,
      batch_id  INTEGER NOT NULL REFERENCES import_batches(id),
      path      TEXT NOT NULL,
      status    TEXT NOT NULL CHECK (status IN ('imported', 'duplicate', 'failed', 'skipped')),
      reason    TEXT,                            -- machine code: zero-byte, truncated, corrupt ...
      message   TEXT,                            -- the plain reason
      image_id  INTEGER REFERENCES images(id),
      sha256    TEXT,
      class     TEXT,
      conflict  INTEGER NOT NULL DEFAULT 0       -- 1 when this file's class disagreed with the image's earlier labels
    ) STRICT;
    CREATE INDEX import_files_batch ON import_files(batch_id);

    -- Rebuildable cache: the decoded, cropped, resized uint8 RGB (HWC) pixels
    -- of an image for one preprocessing recipe and size. Safe to delete.
    CREATE TABLE preprocessed_cells (
      image_id INTEGER NOT NULL REFERENCES images(id),
      recipe   TEXT NOT NULL,                    -- e.g. 'wnet-central-crop-v1'
      size     INTEGER NOT NULL,
      pixels   BLOB NOT NULL,                    -- size*size*3 bytes
      PRIMARY KEY (image_id, recipe, size)
    ) STRICT;
  `
}
