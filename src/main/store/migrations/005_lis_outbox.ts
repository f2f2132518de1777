// Version 5: results sent to the laboratory information system (LIS). The
// outbox keeps every HL7 message the workstation meant to send, with the
// exact text sent and where it stands; a message is never deleted, so nothing
// a reviewer signed can vanish between the workstation and the LIS. Each try
// is appended to lis_attempts (append-only), so what the LIS answered, and
// when, stays visible after a later try succeeds. LIS connection settings and
// the lab's review defaults are append-only logs too: the latest row is in
// force, and who changed them stays known.
import type { Migration } from './types'

const appendOnly = (table: string) => /* sql */ `
  CREATE TRIGGER ${table}_append_only_update BEFORE UPDATE ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} is an append-only log'); END;
  CREATE TRIGGER ${table}_append_only_delete BEFORE DELETE ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} is an append-only log'); END;
`

export const migration005: Migration = {
  version: 5,
  name: 'lis-outbox',
  up: /* sql */ `
    -- One row per HL7 message. state: 'pending' (waiting for its next try),
    -- 'sending' (a process holds it until lease_until; a lease that ran out
    -- means that process died and the message is tried again), 'sent' (the
    -- LIS answered AA/CA), 'rejected' (the LIS answered AE/AR/CE/CR: ack_code
    -- and ack_text say why), 'failed' (no answer after max_attempts tries).
    CREATE TABLE lis_outbox (
      id              INTEGER PRIMARY KEY,
      slide_id        INTEGER NOT NULL REFERENCES slides(id),
      sign_off_id     INTEGER REFERENCES sign_offs(id),   -- the sign-off reported (NULL: a preliminary report)
      result_status   TEXT NOT NULL CHECK (result_status IN ('F', 'C', 'P')),  -- OBR-25: final, correction, preliminary
      control_id      TEXT NOT NULL UNIQUE,               -- MSH-10; the ACK's MSA-2 names it
      host            TEXT NOT NULL CHECK (length(trim(host)) > 0),
      port            INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
      message         TEXT NOT NULL,                      -- the HL7 text exactly as sent (CR-separated)
      state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'rejected', 'failed')),
      attempts        INTEGER NOT NULL DEFAULT 0,
      max_attempts    INTEGER NOT NULL CHECK (max_attempts >= 1),
      next_attempt_at TEXT NOT NULL,                      -- ISO 8601 UTC; when a pending message is due
      lease_until     TEXT,                               -- while 'sending'
      last_error      TEXT NOT NULL DEFAULT '',           -- why the latest try did not get an answer
      ack_code        TEXT,                               -- MSA-1 of the LIS's answer
      ack_text        TEXT,                               -- MSA-3 and ERR text of the answer
      ack_message     TEXT,                               -- the ACK as received
      who             TEXT NOT NULL DEFAULT '',           -- who queued it ('' for the automatic send at sign-off by the signer's name)
      created_at      TEXT NOT NULL,
      updated_at      TEXT NOT NULL
    ) STRICT;
    CREATE INDEX lis_outbox_due ON lis_outbox(state, next_attempt_at);
    CREATE INDEX lis_outbox_slide ON lis_outbox(slide_id, id);

    -- Every try of every message: what happened ('ack', 'nak', 'no-answer')
    -- and the detail (the ACK's code and text, or the network error).
    CREATE TABLE lis_attempts (
      id         INTEGER PRIMARY KEY,
      outbox_id  INTEGER NOT NULL REFERENCES lis_outbox(id),
      at         TEXT NOT NULL,
      outcome    TEXT NOT NULL CHECK (outcome IN ('ack', 'nak', 'no-answer')),
      ack_code   TEXT,
      detail     TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX lis_attempts_outbox ON lis_attempts(outbox_id, id);
    ${appendOnly('lis_attempts')}

    -- The lab's LIS connection: where results go, whether a final sign-off
    -- sends them, and how the message names the receiver. Latest row wins.
    CREATE TABLE lis_settings (
      id                     INTEGER PRIMARY KEY,
      host                   TEXT NOT NULL DEFAULT '',
      port                   INTEGER CHECK (port IS NULL OR port BETWEEN 1 AND 65535),
      send_on_sign_off       INTEGER NOT NULL DEFAULT 0 CHECK (send_on_sign_off IN (0, 1)),
      receiving_application  TEXT NOT NULL DEFAULT '',
      receiving_facility     TEXT NOT NULL DEFAULT '',
      lab_name               TEXT NOT NULL DEFAULT '',
      max_attempts           INTEGER NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 1000),
      ack_timeout_ms         INTEGER NOT NULL DEFAULT 30000 CHECK (ack_timeout_ms BETWEEN 100 AND 600000),
      who                    TEXT NOT NULL DEFAULT '',
      at                     TEXT NOT NULL
    ) STRICT;
    ${appendOnly('lis_settings')}

    -- The lab's choice that a slide of 200 or more cells counts to 200 unless
    -- the slide says otherwise (NULL here: not set in this row).
    ALTER TABLE review_settings ADD COLUMN target_200_from_200_cells INTEGER
      CHECK (target_200_from_200_cells IS NULL OR target_200_from_200_cells IN (0, 1));
  `
}
