// Version 8: blind sessions that hold. Each session gets a secret (256 random
// bits, hex) from which its draw, its order and its renders' per-cell shift
// and dither are derived: nothing a reader can see or compute from the code
// and the stored cells predicts them. The secret is shown in the results
// only once the organiser has closed the session. `ready` is 0 while the
// session's cells are still being rendered in batches (a job), so nobody
// answers a half-made session.
import type { Migration } from './types'

export const migration008: Migration = {
  version: 8,
  name: 'blind-secrets',
  up: /* sql */ `
    ALTER TABLE blind_sessions ADD COLUMN secret TEXT;   -- NULL for sessions made before (their seed was public)
    ALTER TABLE blind_sessions ADD COLUMN ready INTEGER NOT NULL DEFAULT 1 CHECK (ready IN (0, 1));
    CREATE TRIGGER blind_answers_session_ready BEFORE INSERT ON blind_answers
      WHEN (SELECT s.ready FROM blind_cells c JOIN blind_sessions s ON s.id = c.session_id WHERE c.id = NEW.cell_id) <> 1
      BEGIN SELECT RAISE(ABORT, 'the blind session is still being prepared'); END;
  `
}
