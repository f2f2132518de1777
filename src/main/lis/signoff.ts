// Sign-off that sends: when the lab has turned on sending at sign-off, the
// final report is queued in the same transaction as the signature that makes
// it final (the first, or the second verification when the slide asks for
// one), so a slide can never be final without its result waiting in the
// outbox (a crash between the two leaves neither).
import type { SignOffResult } from '../../shared/review'
import { signSlide, type SignRequest } from '../review/signoff'
import type { Db } from '../store/db'
import type { OutboxRow } from '../store/outbox'
import { queueSlideReport } from './outbox'
import { lisSettings } from './settings'

export function signAndQueue(db: Db, req: SignRequest): { signed: SignOffResult; queued: OutboxRow | null } {
  return db.transaction(() => {
    const signed = signSlide(db, req)
    const settings = lisSettings(db)
    // Only a final report goes out: a signature still awaiting its second verification queues nothing (the second one does).
    const queued = signed.final && settings.sendOnSignOff && settings.host && settings.port !== null ? queueSlideReport(db, { slideId: req.slideId, who: signed.signedBy }) : null
    return { signed, queued }
  }).immediate()
}
