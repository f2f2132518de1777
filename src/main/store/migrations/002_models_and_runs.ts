// Version 2: trained models, and training / cross-validation / fine-tuning /
// evaluation runs as records: what went in (architecture, hyperparameters,
// seed, the exact images and label versions, folds), what happened (status,
// per-epoch figures, timings, backend), what came out (metrics, models), the
// resumable state of an unfinished run (checkpoints) and per-cell predictions.
import type { Migration } from './types'

export const migration002: Migration = {
  version: 2,
  name: 'models-and-runs',
  up: /* sql */ `
    -- Named, seeded fold assignments. Several runs may share one plan, so a
    -- fine-tuned model and a from-scratch one are compared on the same folds.
    CREATE TABLE fold_plans (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      k           INTEGER NOT NULL CHECK (k >= 2),
      seed        INTEGER NOT NULL,
      method      TEXT NOT NULL DEFAULT 'stratified',   -- how the folds were dealt (stats/folds.ts stratifiedKFold)
      dataset_id  INTEGER REFERENCES datasets(id),
      created_at  TEXT NOT NULL
    ) STRICT;

    -- One row per image of a plan: its fold and the label version it was dealt by.
    CREATE TABLE fold_assignments (
      plan_id   INTEGER NOT NULL REFERENCES fold_plans(id),
      image_id  INTEGER NOT NULL REFERENCES images(id),
      label_id  INTEGER NOT NULL REFERENCES labels(id),
      class     TEXT NOT NULL,
      fold      INTEGER NOT NULL CHECK (fold >= 0),
      PRIMARY KEY (plan_id, image_id)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE runs (
      id                   INTEGER PRIMARY KEY,
      kind                 TEXT NOT NULL CHECK (kind IN ('train', 'crossval', 'finetune', 'evaluate')),
      name                 TEXT NOT NULL DEFAULT '',
      architecture         TEXT NOT NULL,
      input_size           INTEGER NOT NULL,
      classes_json         TEXT NOT NULL,               -- class names in model-output order
      hyperparameters_json TEXT NOT NULL DEFAULT '{}',  -- epochs, batch size, learning rate, schedule, balance, augment ...
      seed                 INTEGER NOT NULL,
      backend              TEXT,                        -- active TensorFlow.js backend (wasm, tensorflow ...)
      status               TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed', 'interrupted')),
      dataset_id           INTEGER REFERENCES datasets(id),
      fold_plan_id         INTEGER REFERENCES fold_plans(id),
      base_model_id        INTEGER REFERENCES models(id),  -- fine-tuning / evaluation: the model started from / evaluated
      parent_run_id        INTEGER REFERENCES runs(id),    -- e.g. the scratch and fine-tuned halves of a transfer comparison
      pid                  INTEGER,                     -- to tell a killed run from a running one
      started_at           TEXT NOT NULL,
      updated_at           TEXT NOT NULL,
      finished_at          TEXT,
      seconds              REAL NOT NULL DEFAULT 0,     -- compute time over all sessions of the run
      metrics_json         TEXT,                        -- final report
      error                TEXT
    ) STRICT;
    CREATE INDEX runs_status ON runs(status);
    CREATE INDEX runs_parent ON runs(parent_run_id);

    -- The exact images a run used, with the label version (labels.id) and
    -- class it used them as. fold: the cross-validation fold whose test set
    -- holds the image (NULL outside cross-validation); role: how it was used.
    CREATE TABLE run_images (
      run_id    INTEGER NOT NULL REFERENCES runs(id),
      image_id  INTEGER NOT NULL REFERENCES images(id),
      label_id  INTEGER REFERENCES labels(id),          -- NULL for unlabelled cells (classification only)
      class     TEXT,
      fold      INTEGER,
      role      TEXT NOT NULL CHECK (role IN ('train', 'validation', 'test', 'crossval')),
      PRIMARY KEY (run_id, image_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX run_images_image ON run_images(image_id);

    -- Per fold of a run (a plain training run has one, fold 0): progress and result.
    CREATE TABLE run_folds (
      run_id       INTEGER NOT NULL REFERENCES runs(id),
      fold         INTEGER NOT NULL,
      status       TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done')),
      epochs_done  INTEGER NOT NULL DEFAULT 0,
      model_id     INTEGER REFERENCES models(id),
      metrics_json TEXT,                                -- the fold's test report
      started_at   TEXT,
      finished_at  TEXT,
      seconds      REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (run_id, fold)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE run_epochs (
      id                INTEGER PRIMARY KEY,
      run_id            INTEGER NOT NULL REFERENCES runs(id),
      fold              INTEGER NOT NULL DEFAULT 0,
      epoch             INTEGER NOT NULL,             -- 1-based
      train_loss        REAL NOT NULL,
      train_accuracy    REAL NOT NULL,
      learning_rate     REAL,
      val_accuracy      REAL,
      val_macro_f1      REAL,
      val_metrics_json  TEXT,                         -- per-class precision / recall / F1 of the held-out cells
      seconds           REAL NOT NULL,
      images_per_second REAL,
      recorded_at       TEXT NOT NULL,
      UNIQUE (run_id, fold, epoch)
    ) STRICT;

    -- Resumable state of an unfinished fold: the training runtime's checkpoint
    -- (weights, optimizer moments, sampler state) packed as one archive.
    -- Deleted when the fold finishes.
    CREATE TABLE checkpoints (
      run_id      INTEGER NOT NULL REFERENCES runs(id),
      fold        INTEGER NOT NULL DEFAULT 0,
      epoch       INTEGER NOT NULL,
      format      TEXT NOT NULL,                     -- archive layout, e.g. 'wbc-dir-archive/1'
      archive     BLOB NOT NULL,
      byte_size   INTEGER NOT NULL,
      updated_at  TEXT NOT NULL,
      PRIMARY KEY (run_id, fold)
    ) STRICT, WITHOUT ROWID;

    -- Trained or imported models, in TensorFlow.js's own format (model.json
    -- topology + weight manifest, and the binary weights), so an export is a
    -- plain copy and any tfjs tool loads it.
    CREATE TABLE models (
      id                 INTEGER PRIMARY KEY,
      name               TEXT NOT NULL,
      architecture       TEXT NOT NULL,
      input_size         INTEGER NOT NULL,
      classes_json       TEXT NOT NULL,               -- output order
      preprocess_recipe  TEXT NOT NULL,               -- cache recipe of the pixels it expects (wnet-central-crop-v1)
      topology_json      TEXT NOT NULL,               -- tfjs modelTopology
      weight_specs_json  TEXT NOT NULL,               -- tfjs weight manifest entries (name, shape, dtype, quantization)
      weights            BLOB NOT NULL,               -- tfjs weight data, concatenated in weight_specs order
      quantization       TEXT NOT NULL DEFAULT 'float32' CHECK (quantization IN ('float32', 'float16', 'uint8', 'uint16')),
      provenance         TEXT NOT NULL CHECK (provenance IN ('run', 'imported', 'shipped')),
      run_id             INTEGER REFERENCES runs(id),
      fold               INTEGER,                     -- the cross-validation fold it was trained for; NULL: all training cells
      source             TEXT,                        -- imported / shipped from (a path as given)
      metrics_json       TEXT,
      calibration_json   TEXT,                        -- Unidentified routing: score kind, threshold, measured rates
      created_at         TEXT NOT NULL,
      is_default         INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))
    ) STRICT;
    CREATE UNIQUE INDEX models_one_default ON models(is_default) WHERE is_default = 1;
    CREATE INDEX models_run ON models(run_id);

    -- Feature statistics some out-of-distribution scores need (e.g. class
    -- means and the shared precision matrix of penultimate features).
    CREATE TABLE model_blobs (
      model_id  INTEGER NOT NULL REFERENCES models(id),
      name      TEXT NOT NULL,
      bytes     BLOB NOT NULL,
      PRIMARY KEY (model_id, name)
    ) STRICT, WITHOUT ROWID;

    -- Model output per cell: the five class probabilities (model-output
    -- classes), the top class and its confidence, and the out-of-distribution
    -- score and routing when the model has a calibration. One row per image
    -- and model; classifying again with the same model replaces it.
    CREATE TABLE predictions (
      id           INTEGER PRIMARY KEY,
      image_id     INTEGER NOT NULL REFERENCES images(id),
      model_id     INTEGER NOT NULL REFERENCES models(id),
      run_id       INTEGER REFERENCES runs(id),
      p_neutrophil REAL NOT NULL,
      p_eosinophil REAL NOT NULL,
      p_basophil   REAL NOT NULL,
      p_lymphocyte REAL NOT NULL,
      p_monocyte   REAL NOT NULL,
      top_class    TEXT NOT NULL,
      confidence   REAL NOT NULL,
      ood_score    REAL,
      unidentified INTEGER CHECK (unidentified IN (0, 1)),
      created_at   TEXT NOT NULL,
      UNIQUE (image_id, model_id)
    ) STRICT;
    CREATE INDEX predictions_model ON predictions(model_id);
  `
}
