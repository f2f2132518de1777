// Version 11: every slide carries a revision that moves whenever what its
// review shows may have changed: a label of one of its cells (reviewer,
// expert, import, undo, acceptance at sign-off), a model's prediction for one
// of them, a cell joining it, a sign-off or reopening, or a review setting
// that applies to it (a global setting moves every slide). Triggers keep it,
// so every writer moves it — the API, the command line, a job's own
// connection, even another process on the same file — and nobody can forget.
// A change made against a view of an older revision is refused (review/state).
import type { Migration } from './types'

/** The slide a cell belongs to moves on. */
const bumpSlideOfImage = (imageId: string) => `UPDATE slides SET revision = revision + 1 WHERE id = (SELECT slide_id FROM images WHERE id = ${imageId});`

export const migration011: Migration = {
  version: 11,
  name: 'slide-revision',
  up: /* sql */ `
    ALTER TABLE slides ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

    CREATE TRIGGER slide_revision_label AFTER INSERT ON labels
      BEGIN ${bumpSlideOfImage('NEW.image_id')} END;
    CREATE TRIGGER slide_revision_prediction_insert AFTER INSERT ON predictions
      BEGIN ${bumpSlideOfImage('NEW.image_id')} END;
    CREATE TRIGGER slide_revision_prediction_update AFTER UPDATE ON predictions
      BEGIN ${bumpSlideOfImage('NEW.image_id')} END;
    CREATE TRIGGER slide_revision_image AFTER INSERT ON images WHEN NEW.slide_id IS NOT NULL
      BEGIN UPDATE slides SET revision = revision + 1 WHERE id = NEW.slide_id; END;
    CREATE TRIGGER slide_revision_sign_off AFTER INSERT ON sign_offs
      BEGIN UPDATE slides SET revision = revision + 1 WHERE id = NEW.slide_id; END;
    CREATE TRIGGER slide_revision_settings AFTER INSERT ON review_settings
      BEGIN UPDATE slides SET revision = revision + 1 WHERE NEW.slide_id IS NULL OR id = NEW.slide_id; END;
  `
}
