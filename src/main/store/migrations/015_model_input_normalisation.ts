// Version 15: a model's input colour normalisation (docs/ml.md, "Input colour
// normalisation") is part of the model, so it is a column of the model's row:
// every model stored before it ran with none, and keeps 'none'. Nothing
// updates it afterwards (a trigger refuses): a model with another
// normalisation is a new model. The weights stay the row's last column
// (migration 14: reading a column stored after them walks their 16 MB).
import type { Migration } from './types'

export const migration015: Migration = {
  version: 15,
  name: 'model-input-normalisation',
  up: /* sql */ `
    ALTER TABLE models ADD COLUMN input_normalisation TEXT NOT NULL DEFAULT 'none'
      CHECK (input_normalisation IN ('none', 'grey-world'));
    ALTER TABLE models RENAME COLUMN weights TO weights_before_v15;
    ALTER TABLE models ADD COLUMN weights BLOB NOT NULL DEFAULT x'';
    UPDATE models SET weights = weights_before_v15;
    ALTER TABLE models DROP COLUMN weights_before_v15;
    CREATE TRIGGER models_input_normalisation_fixed BEFORE UPDATE OF input_normalisation ON models
      WHEN NEW.input_normalisation IS NOT OLD.input_normalisation
      BEGIN SELECT RAISE(ABORT, 'a model''s input normalisation is part of the model: store a new model instead'); END;
  `
}
