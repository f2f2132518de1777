// The review service: the rules around the review core (src/main/review) that
// every shell follows, so the API handlers and `wbc slide` only translate.
// Who may sign (the contract's signer roles, checked here for the CLI too);
// signing queues the final report for the LIS in the signature's own
// transaction when sending at sign-off is on; the review settings of a slide
// (or the lab default) are read when nothing is given to change; a history is
// a slide's or one cell's. Refusals are CoreErrors (the review core's
// ReviewError, the LIS core's LisError, PeopleError are all CoreErrors).
import { api, mayCall } from '../../shared/api'
import type { Caller } from '../../shared/people'
import type { ReviewHistory, ReviewSettings, SignOffResult, TargetCount } from '../../shared/review'
import { CoreError, notFound } from '../errors'
import { signAndQueue } from '../lis'
import { cellHistory, reviewSettings, setReviewSettings, slideHistory } from '../review'
import type { Db } from '../store/db'
import type { OutboxRow } from '../store/outbox'
import { getSlide } from '../store/slides'

/** What the review core records of the acting user: the name beside the id. */
export const actorOf = (caller: Pick<Caller, 'name' | 'userId'>) => ({ who: caller.name, userId: caller.userId })

/**
 * Signs a slide as `signer` (whose password the shell has checked). Refused
 * (forbidden) to a user without a signer role, and by the review core while
 * Unidentified cells remain or when it is already signed. With sending at
 * sign-off on, the final report is queued in the same transaction.
 */
export function signSlideAs(
  db: Db,
  signer: Pick<Caller, 'name' | 'userId' | 'roles'>,
  req: { slideId: number; meaning: string; /** The slide revision the signer saw: a slide that moved on since is refused as stale. */ revision?: number }
): { signed: SignOffResult; queued: OutboxRow | null } {
  if (!mayCall('review.sign', signer.roles)) throw new CoreError('forbidden', `${signer.name} may not sign: signing needs the ${api['review.sign'].roles.join(' or ')} role`)
  return signAndQueue(db, { slideId: req.slideId, meaning: req.meaning, revision: req.revision, ...actorOf(signer) })
}

export interface SettingsChange {
  unidentifiedThreshold?: number
  targetCount?: TargetCount
  target200From200Cells?: boolean
  secondVerification?: boolean
  wbcCorrectedByAnalyser?: boolean
}

/** A slide's review settings (null: the lab default), changed by `caller` first when `change` names anything. */
export function slideReviewSettings(db: Db, slideId: number | null, change: SettingsChange, caller: Pick<Caller, 'name' | 'userId'>): ReviewSettings {
  const given = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as SettingsChange
  if (!Object.keys(given).length) {
    if (slideId !== null && !getSlide(db, slideId)) throw notFound(`slide ${slideId}`)
    return reviewSettings(db, slideId)
  }
  return setReviewSettings(db, { slideId, ...given, ...actorOf(caller) })
}

/** The audit history of a slide, or of one cell. */
export function reviewHistory(db: Db, of: { slideId: number } | { cellId: number }): ReviewHistory {
  return 'slideId' in of ? slideHistory(db, of.slideId) : cellHistory(db, of.cellId)
}
