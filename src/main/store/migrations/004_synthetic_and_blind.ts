// Version 4: synthetic cells and blind expert sessions.
//
// Generated cells live in their own table (synthetic_images), never in
// `images`: every dataset, export and training set is built from `images`, so
// a generated cell cannot slip into real data; copying one across is a
// deliberate act. Each generated cell keeps its provenance (generator,
// checkpoint, step, seed, index in the seeded draw) and its class.
//
// A blind session holds its cells pre-rendered (one fixed size and encoding),
// each under a random opaque token; which real image or generated cell a token
// stands for is stored here and only reported once the session is closed.
// Answers are an append-only history (the latest per cell counts).
import type { Migration } from './types'

export const migration004: Migration = {
  version: 4,
  name: 'synthetic-and-blind',
  up: /* sql */ `
    -- One DCGAN per class. Training state (both networks, optimizer moments)
    -- lives in checkpoint_dir; the generator's weights at chosen steps are kept
    -- here (gan_checkpoints) so generated cells can name the exact weights.
    CREATE TABLE gan_generators (
      id              INTEGER PRIMARY KEY,
      name            TEXT NOT NULL UNIQUE,
      class           TEXT NOT NULL,
      preset          TEXT NOT NULL,              -- paper | cpu | tiny | custom
      settings_json   TEXT NOT NULL,              -- the full GanSettings
      status          TEXT NOT NULL CHECK (status IN ('created', 'training', 'stopped', 'done', 'failed')),
      steps           INTEGER NOT NULL DEFAULT 0, -- steps finished (latest checkpoint)
      target_steps    INTEGER NOT NULL DEFAULT 0,
      backend         TEXT NOT NULL DEFAULT '',
      training_data   TEXT NOT NULL DEFAULT '',   -- what it learnt from: folder or dataset, cell count
      attribution     TEXT NOT NULL DEFAULT '',   -- licence / attribution of that data
      checkpoint_dir  TEXT,                       -- training state for resume (on the core's machine)
      metrics_json    TEXT NOT NULL DEFAULT '{}', -- latest losses, seconds per step, peak memory
      created_at      TEXT NOT NULL,
      updated_at      TEXT NOT NULL
    ) STRICT;

    CREATE TABLE gan_checkpoints (
      id            INTEGER PRIMARY KEY,
      generator_id  INTEGER NOT NULL REFERENCES gan_generators(id),
      step          INTEGER NOT NULL,
      weights       BLOB NOT NULL,               -- generator weights, float32 little-endian, layout order
      grid_png      BLOB,                        -- sample grid at this step
      losses_json   TEXT NOT NULL DEFAULT '{}',
      created_at    TEXT NOT NULL,
      UNIQUE (generator_id, step)
    ) STRICT;

    CREATE TABLE synthetic_images (
      id             INTEGER PRIMARY KEY,
      generator_id   INTEGER NOT NULL REFERENCES gan_generators(id),
      checkpoint_id  INTEGER NOT NULL REFERENCES gan_checkpoints(id),
      step           INTEGER NOT NULL,
      seed           INTEGER NOT NULL,
      draw_index     INTEGER NOT NULL,            -- position in the seeded draw: (checkpoint, seed, index) re-creates it
      class          TEXT NOT NULL,
      width          INTEGER NOT NULL,
      height         INTEGER NOT NULL,
      sha256         TEXT NOT NULL,
      png            BLOB NOT NULL,
      created_at     TEXT NOT NULL,
      UNIQUE (checkpoint_id, seed, draw_index)
    ) STRICT;
    CREATE INDEX synthetic_images_class ON synthetic_images(class, generator_id);

    -- A quality report covers one or more generators (one per class): a W-Net
    -- trained on generated cells is tested on real cells of every class.
    CREATE TABLE synthetic_reports (
      id            INTEGER PRIMARY KEY,
      model         TEXT NOT NULL,               -- the W-Net used (path or stored model id)
      settings_json TEXT NOT NULL DEFAULT '{}',
      report_json   TEXT NOT NULL,
      created_at    TEXT NOT NULL
    ) STRICT;
    CREATE TABLE synthetic_report_generators (
      report_id     INTEGER NOT NULL REFERENCES synthetic_reports(id),
      generator_id  INTEGER NOT NULL REFERENCES gan_generators(id),
      checkpoint_id INTEGER REFERENCES gan_checkpoints(id),
      class         TEXT NOT NULL,
      grid_png      BLOB,
      PRIMARY KEY (report_id, generator_id)
    ) STRICT;

    CREATE TABLE blind_sessions (
      id            INTEGER PRIMARY KEY,
      name          TEXT NOT NULL,
      recipe_json   TEXT NOT NULL,
      seed          INTEGER NOT NULL,
      ask_origin    INTEGER NOT NULL CHECK (ask_origin IN (0, 1)), -- the expert also says real or generated
      classes_json  TEXT NOT NULL,               -- the answer choices, in key order
      display_size  INTEGER NOT NULL,
      status        TEXT NOT NULL CHECK (status IN ('open', 'closed')),
      created_by    TEXT NOT NULL DEFAULT '',
      created_at    TEXT NOT NULL,
      closed_at     TEXT
    ) STRICT;

    CREATE TABLE blind_cells (
      id                  INTEGER PRIMARY KEY,
      session_id          INTEGER NOT NULL REFERENCES blind_sessions(id),
      token               TEXT NOT NULL UNIQUE,  -- random, opaque; the only id the renderer sees
      position            INTEGER NOT NULL,      -- order of presentation (seeded shuffle)
      origin              TEXT NOT NULL CHECK (origin IN ('real', 'synthetic')),
      image_id            INTEGER REFERENCES images(id),
      synthetic_image_id  INTEGER REFERENCES synthetic_images(id),
      class               TEXT NOT NULL,         -- the truth
      png                 BLOB NOT NULL,         -- pre-rendered: same size and encoding for every cell
      CHECK ((origin = 'real' AND image_id IS NOT NULL AND synthetic_image_id IS NULL)
          OR (origin = 'synthetic' AND synthetic_image_id IS NOT NULL AND image_id IS NULL)),
      UNIQUE (session_id, position)
    ) STRICT;

    CREATE TABLE blind_answers (
      id        INTEGER PRIMARY KEY,
      cell_id   INTEGER NOT NULL REFERENCES blind_cells(id),
      class     TEXT NOT NULL,
      origin    TEXT CHECK (origin IN ('real', 'synthetic')), -- NULL when not asked or not given
      who       TEXT NOT NULL DEFAULT '',
      at        TEXT NOT NULL
    ) STRICT;
    CREATE INDEX blind_answers_cell ON blind_answers(cell_id, id);
    CREATE TRIGGER blind_answers_append_only_update BEFORE UPDATE ON blind_answers
      BEGIN SELECT RAISE(ABORT, 'blind answers are an append-only history'); END;
    CREATE TRIGGER blind_answers_append_only_delete BEFORE DELETE ON blind_answers
      BEGIN SELECT RAISE(ABORT, 'blind answers are an append-only history'); END;
    CREATE TRIGGER blind_answers_session_open BEFORE INSERT ON blind_answers
      WHEN (SELECT s.status FROM blind_cells c JOIN blind_sessions s ON s.id = c.session_id WHERE c.id = NEW.cell_id) <> 'open'
      BEGIN SELECT RAISE(ABORT, 'the blind session is closed'); END;
  `
}
