// Version 14: a model's weights move to the last column of its row. SQLite
// keeps a 16 MB weights blob in a chain of overflow pages, and reading any
// column stored after it (provenance, source, metrics, calibration, the
// default flag ...) walks that chain: about 5 ms a model for every query of
// the models table that reads them (each gallery, differential and
// classification read the slide's model that way). Stored last, the weights
// are read only by the queries that ask for them. The migration writes every
// model's weights twice (the copy, then the table without the old column):
// once, at the first start after the update, seconds for a store of many models.
import type { Migration } from './types'

export const migration014: Migration = {
  version: 14,
  name: 'model-weights-last',
  up: /* sql */ `
    ALTER TABLE models RENAME COLUMN weights TO weights_before_v14;
    ALTER TABLE models ADD COLUMN weights BLOB NOT NULL DEFAULT x'';
    UPDATE models SET weights = weights_before_v14;
    ALTER TABLE models DROP COLUMN weights_before_v14;
  `
}
