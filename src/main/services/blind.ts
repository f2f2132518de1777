// The blind-session service: who sees and takes which session, over the
// blind core (src/main/blind). An organiser sees every session; anyone else
// (a reader) only those they are invited to, with their own answers and
// progress. A session a reader is not invited to is `not_found` to them (not
// `forbidden`), so a reader cannot even learn which session ids exist.
// Refusals are CoreErrors (the blind core's BlindSessionError is one).
import type { Caller } from '../../shared/people'
import type { BlindCellView, BlindSessionView } from '../../shared/synthetic'
import { answerCell, cellImage, listSessionViews, nextCell, type BlindAnswerInput } from '../blind/session'
import { notFound } from '../errors'
import { invitedBlindSessionIds, isInvitedToBlindSession, type BlindReader, type Db } from '../store'

export const organises = (caller: Pick<Caller, 'roles'>): boolean => caller.roles.includes('organiser')
export const readerOf = (caller: Pick<Caller, 'userId' | 'name'>): BlindReader => ({ userId: caller.userId, name: caller.name })

/** The sessions `caller` may see: all for an organiser, else those they are invited to, with their own progress. */
export function visibleSessions(db: Db, caller: Caller): BlindSessionView[] {
  if (organises(caller)) return listSessionViews(db)
  return listSessionViews(db, { only: caller.userId === null ? new Set() : invitedBlindSessionIds(db, caller.userId), reader: readerOf(caller) })
}

/** Refuses (not_found) a reader who is not invited to the session; an organiser may take any. */
export function requireTakes(db: Db, caller: Caller, sessionId: number): void {
  if (organises(caller)) return
  if (caller.userId === null || !isInvitedToBlindSession(db, sessionId, caller.userId)) throw notFound(`blind session ${sessionId}`)
}

/** The caller's next unanswered cell (or the one at `position`); null when they answered all. */
export function nextCellFor(db: Db, caller: Caller, sessionId: number, position?: number): BlindCellView | null {
  requireTakes(db, caller, sessionId)
  return nextCell(db, sessionId, readerOf(caller), position)
}

/** The pre-rendered PNG of a cell of a session the caller may take. */
export function cellImageFor(db: Db, caller: Caller, sessionId: number, cellId: string): Uint8Array {
  requireTakes(db, caller, sessionId)
  return cellImage(db, sessionId, cellId)
}

/** Records the caller's answer and returns their next cell. */
export function answerAs(db: Db, caller: Caller, a: BlindAnswerInput): ReturnType<typeof answerCell> {
  requireTakes(db, caller, a.sessionId)
  return answerCell(db, readerOf(caller), a)
}
