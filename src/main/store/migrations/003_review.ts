// Version 3: slide review. Everything here is an append-only log (triggers
// refuse UPDATE and DELETE), and the present is derived from it: whether a
// slide is signed is its latest sign-off event, the review settings in force
// are the latest row per scope, and which reclassifications can still be
// undone follows from the actions that undo them. The labels themselves stay
// in `labels` (source 'reviewer'); review_changes ties each appended label to
// the action that made it and to what the cell showed before (old -> new).
import type { Migration } from './types'

const appendOnly = (table: string) => /* sql */ `
  CREATE TRIGGER ${table}_append_only_update BEFORE UPDATE ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} is an append-only log'); END;
  CREATE TRIGGER ${table}_append_only_delete BEFORE DELETE ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} is an append-only log'); END;
`

export const migration003: Migration = {
  version: 3,
  name: 'review',
  up: /* sql */ `
    -- Sign-off log of a slide: 'signed' makes the slide read-only, 'reopened'
    -- (with its reason) makes it editable again. The latest event is the state.
    CREATE TABLE sign_offs (
      id        INTEGER PRIMARY KEY,
      slide_id  INTEGER NOT NULL REFERENCES slides(id),
      status    TEXT NOT NULL CHECK (status IN ('signed', 'reopened')),
      who       TEXT NOT NULL CHECK (length(trim(who)) > 0),
      at        TEXT NOT NULL,                   -- ISO 8601 UTC
      meaning   TEXT NOT NULL DEFAULT '',        -- what the signature means ('Reviewed and approved')
      reason    TEXT NOT NULL DEFAULT '',        -- why it was reopened
      counts_json TEXT NOT NULL DEFAULT '{}',    -- the differential as signed: class -> cells
      CHECK (status = 'reopened' OR length(trim(meaning)) > 0),
      CHECK (status = 'signed' OR length(trim(reason)) > 0)
    ) STRICT;
    CREATE INDEX sign_offs_slide ON sign_offs(slide_id, id);
    ${appendOnly('sign_offs')}

    -- Comments on a slide, or on one cell of it (image_id set).
    CREATE TABLE review_comments (
      id        INTEGER PRIMARY KEY,
      slide_id  INTEGER NOT NULL REFERENCES slides(id),
      image_id  INTEGER REFERENCES images(id),
      who       TEXT NOT NULL CHECK (length(trim(who)) > 0),
      at        TEXT NOT NULL,
      text      TEXT NOT NULL CHECK (length(trim(text)) > 0)
    ) STRICT;
    CREATE INDEX review_comments_slide ON review_comments(slide_id, id);
    ${appendOnly('review_comments')}

    -- Review settings, global (slide_id NULL) or for one slide. A NULL value
    -- means "not set here": the slide's latest value, else the global latest,
    -- else the program's default.
    CREATE TABLE review_settings (
      id                      INTEGER PRIMARY KEY,
      slide_id                INTEGER REFERENCES slides(id),
      unidentified_threshold  REAL CHECK (unidentified_threshold IS NULL OR (unidentified_threshold >= 0 AND unidentified_threshold <= 1)),
      target_count            INTEGER CHECK (target_count IS NULL OR target_count IN (100, 200)),
      who                     TEXT NOT NULL DEFAULT '',
      at                      TEXT NOT NULL
    ) STRICT;
    CREATE INDEX review_settings_scope ON review_settings(slide_id, id);
    ${appendOnly('review_settings')}

    -- One row per review action on a slide: a (bulk) reclassification, the
    -- undo of one, or the acceptance of the model's calls at sign-off.
    CREATE TABLE review_actions (
      id               INTEGER PRIMARY KEY,
      slide_id         INTEGER NOT NULL REFERENCES slides(id),
      kind             TEXT NOT NULL CHECK (kind IN ('reclassify', 'undo', 'accept')),
      who              TEXT NOT NULL CHECK (length(trim(who)) > 0),
      at               TEXT NOT NULL,
      why              TEXT NOT NULL DEFAULT '',
      undoes_action_id INTEGER UNIQUE REFERENCES review_actions(id),
      CHECK ((kind = 'undo') = (undoes_action_id IS NOT NULL))
    ) STRICT;
    CREATE INDEX review_actions_slide ON review_actions(slide_id, id);
    ${appendOnly('review_actions')}

    -- Each label an action appended, with the class the cell showed before
    -- (a model call, 'unidentified' ...) and the class it has after.
    CREATE TABLE review_changes (
      id         INTEGER PRIMARY KEY,
      action_id  INTEGER NOT NULL REFERENCES review_actions(id),
      image_id   INTEGER NOT NULL REFERENCES images(id),
      label_id   INTEGER NOT NULL UNIQUE REFERENCES labels(id),
      old_class  TEXT NOT NULL,
      new_class  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX review_changes_action ON review_changes(action_id);
    CREATE INDEX review_changes_image ON review_changes(image_id, id);
    ${appendOnly('review_changes')}
  `
}
