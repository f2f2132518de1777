// Version 13: the lab says whether its analyser's WBC count is already
// corrected for nucleated red cells. Analysers that count NRBC in their own
// channel (the Sysmex XN series, for one) report a WBC without them; the
// workstation correcting that count again for the NRBC seen on the slide
// would report a leukopenia that is not there. A global review setting,
// appended to the settings log like the others (so a signed slide's report
// is rebuilt with the choice in force when it was signed); the table gets a
// new chain version so the new column is hashed from now on.
import { addTableToChain } from '../audit'
import type { Migration } from './types'

export const migration013: Migration = {
  version: 13,
  name: 'analyser-nrbc',
  up(db) {
    db.exec(`
      ALTER TABLE review_settings ADD COLUMN wbc_corrected_by_analyser INTEGER
        CHECK (wbc_corrected_by_analyser IS NULL OR wbc_corrected_by_analyser IN (0, 1));
    `)
    addTableToChain(db, 'review_settings')
  }
}
