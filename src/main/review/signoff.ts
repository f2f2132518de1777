// Sign-off, second verification and reopening. A signature is an identified
// person (the signed-in user, whose password the shell has just checked
// again), the server's clock, what the signature means, and a hash of what
// was signed (slide, sample id and counts), as 21 CFR 11 / ISO 15189 ask. It
// is refused while any cell is Unidentified or the slide is signed already.
// Signing turns every model call still standing into a reviewer label (the
// specialist has looked at it and let it stand), so a signed slide no longer
// depends on the threshold or on later model runs, and all its cells become
// training labels. When the slide's (or the lab's) settings ask for a second
// verification, a second, different verifier signs the same counts before the
// report is final. Reopening needs a reason and is itself an entry of the
// sign-off log; it clears both signatures.
import { createHash } from 'node:crypto'
import { UNIDENTIFIED, type SignOffEvent, type SignOffResult } from '../../shared/review'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { appendLabel } from '../store/labels'
import { appendReviewAction, appendReviewChange, appendSignOff, latestSignOff, signOffLog, type SignOffRow } from '../store/review'
import { setSlideStatus, type SlideRow } from '../store/slides'
import { ReviewError } from './errors'
import { classifySlideCells } from './gallery'
import { isCounted } from './labels'
import { reviewSettings } from './settings'
import { assertRevision, requireSlide } from './state'

export interface SignRequest {
  slideId: number
  /** The signer's login name. */
  who: string
  /** The signer's user id; null only for records without accounts (tests of old data). */
  userId?: number | null
  /** What the signature means, e.g. "Reviewed and approved". */
  meaning: string
  /** Default: now. */
  at?: string
  /** The slide revision the signer's view showed: a signature covers what they saw, so a slide that moved on is refused as stale. */
  revision?: number
}

/** sha256 over a canonical text of what a signature covers: the slide, its sample id and its counts (keys sorted). */
export function signedContentHash(slide: Pick<SlideRow, 'id' | 'sampleId'>, counts: Record<string, number>): string {
  const sorted = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return createHash('sha256').update(JSON.stringify({ slideId: slide.id, sampleId: slide.sampleId, counts: sorted })).digest('hex')
}

export const toSignOffEvent = (s: SignOffRow): SignOffEvent => ({
  status: s.status,
  who: s.who,
  userId: s.userId,
  at: s.at,
  meaning: s.meaning,
  reason: s.reason,
  verification: s.verification,
  contentSha256: s.contentSha256
})

/** The signatures in force on a slide: those since its last reopening (empty when it is not signed). */
export function currentSignatures(db: Db, slideId: number): SignOffRow[] {
  const log = signOffLog(db, slideId)
  const lastReopen = log.map((s) => s.status).lastIndexOf('reopened')
  return log.slice(lastReopen + 1).filter((s) => s.status === 'signed')
}

/** Whether a signed slide's report is final: signed, and verified a second time when its settings ask for it. */
export function isReportFinal(db: Db, slideId: number): boolean {
  const signatures = currentSignatures(db, slideId)
  if (!signatures.length) return false
  return !reviewSettings(db, slideId).secondVerification || signatures.some((s) => s.verification === 2)
}

const sameSigner = (a: { userId: number | null; who: string }, b: { userId: number | null; who: string }) =>
  a.userId !== null && b.userId !== null ? a.userId === b.userId : a.who.toLowerCase() === b.who.toLowerCase()

export function signSlide(db: Db, req: SignRequest): SignOffResult {
  const who = req.who.trim()
  const meaning = req.meaning.trim()
  const userId = req.userId ?? null
  if (!who) throw new ReviewError('invalid_input', 'a sign-off needs the name of who signs')
  if (!meaning) throw new ReviewError('invalid_input', 'a sign-off needs its meaning (e.g. "Reviewed and approved")')
  return db.transaction((): SignOffResult => {
    const slide = requireSlide(db, req.slideId)
    assertRevision(slide, req.revision)
    const at = req.at ?? nowIso()
    const signatures = currentSignatures(db, slide.id)
    if (signatures.length) return secondVerification(db, slide, signatures, { who, userId, meaning, at })
    const cells = classifySlideCells(db, slide.id)
    if (cells.length === 0) throw new ReviewError('conflict', `slide ${slide.sampleId} has no cells to sign`)
    const unidentified = cells.filter((c) => c.group === UNIDENTIFIED).length
    if (unidentified) {
      throw new ReviewError('conflict', `slide ${slide.sampleId} still has ${unidentified} Unidentified cell${unidentified === 1 ? '' : 's'}; classify them before signing`)
    }
    const standing = cells.filter((c) => c.basis === 'model')
    if (standing.length) {
      const why = 'model call accepted at sign-off'
      const actionId = appendReviewAction(db, { slideId: slide.id, kind: 'accept', who, userId, why, at })
      for (const c of standing) {
        const labelId = appendLabel(db, { imageId: c.id, class: c.prediction!.label, source: 'reviewer', who, userId, why, at })
        appendReviewChange(db, { actionId, imageId: c.id, labelId, oldClass: c.group, newClass: c.group })
      }
    }
    const counts: Record<string, number> = {}
    for (const c of cells) counts[c.group] = (counts[c.group] ?? 0) + 1
    const contentSha256 = signedContentHash(slide, counts)
    appendSignOff(db, { slideId: slide.id, status: 'signed', who, userId, at, meaning, counts, verification: 1, contentSha256 })
    setSlideStatus(db, slide.id, 'signed')
    const totalCounted = Object.entries(counts).reduce((n, [label, k]) => n + (isCounted(label) ? k : 0), 0)
    return { slideId: slide.id, signedBy: who, signedAt: at, meaning, totalCounted, accepted: standing.length, verification: 1, final: isReportFinal(db, slide.id), contentSha256 }
  }).immediate()
}

function secondVerification(
  db: Db,
  slide: SlideRow,
  signatures: SignOffRow[],
  s: { who: string; userId: number | null; meaning: string; at: string }
): SignOffResult {
  const first = signatures[0]
  const second = signatures.find((x) => x.verification === 2)
  if (second) throw new ReviewError('conflict', `slide ${slide.sampleId} is already signed by ${first.who} and verified by ${second.who}`)
  if (!reviewSettings(db, slide.id).secondVerification) {
    throw new ReviewError('conflict', `slide ${slide.sampleId} is already signed by ${first.who} at ${first.at}`)
  }
  if (sameSigner(first, s)) throw new ReviewError('conflict', `the second verification of slide ${slide.sampleId} needs a verifier other than ${first.who}`)
  // The slide is read-only since the first signature, so the counts are the same; the hash proves it.
  const contentSha256 = signedContentHash(slide, first.counts)
  if (first.contentSha256 && first.contentSha256 !== contentSha256) {
    throw new ReviewError('conflict', `slide ${slide.sampleId}: the signed counts do not match their hash; reopen and sign again`)
  }
  appendSignOff(db, { slideId: slide.id, status: 'signed', who: s.who, userId: s.userId, at: s.at, meaning: s.meaning, counts: first.counts, verification: 2, contentSha256 })
  const totalCounted = Object.entries(first.counts).reduce((n, [label, k]) => n + (isCounted(label) ? k : 0), 0)
  return { slideId: slide.id, signedBy: s.who, signedAt: s.at, meaning: s.meaning, totalCounted, accepted: 0, verification: 2, final: true, contentSha256 }
}

export function reopenSlide(db: Db, req: { slideId: number; who: string; userId?: number | null; reason: string; at?: string; revision?: number }): SignOffRow {
  const who = req.who.trim()
  const reason = req.reason.trim()
  if (!who) throw new ReviewError('invalid_input', 'say who reopens the slide')
  if (!reason) throw new ReviewError('invalid_input', 'reopening a signed slide needs a reason')
  return db.transaction((): SignOffRow => {
    const slide = requireSlide(db, req.slideId)
    assertRevision(slide, req.revision)
    if (latestSignOff(db, slide.id)?.status !== 'signed') throw new ReviewError('conflict', `slide ${slide.sampleId} is not signed`)
    const at = req.at ?? nowIso()
    appendSignOff(db, { slideId: slide.id, status: 'reopened', who, userId: req.userId ?? null, at, reason })
    setSlideStatus(db, slide.id, 'in_review')
    return latestSignOff(db, slide.id)!
  }).immediate()
}
