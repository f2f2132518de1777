// Comments on a slide or on one of its cells: appended, never edited. A
// signed slide takes no new comments (they are part of what was signed);
// reopen it first.
import type { ReviewComment } from '../../shared/review'
import type { Db } from '../store/db'
import { getImage } from '../store/images'
import { appendComment, listComments, type CommentRow } from '../store/review'
import { ReviewError } from './errors'
import { assertEditable, requireSlide } from './state'

const toComment = (c: CommentRow): ReviewComment => ({ id: c.id, slideId: c.slideId, cellId: c.imageId, who: c.who, at: c.at, text: c.text })

export function addComment(db: Db, req: { slideId: number; cellId?: number | null; who: string; userId?: number | null; text: string; at?: string }): ReviewComment {
  const who = req.who.trim()
  const text = req.text.trim()
  if (!who) throw new ReviewError('invalid_input', 'say who writes the comment')
  if (!text) throw new ReviewError('invalid_input', 'a comment needs some text')
  return db.transaction((): ReviewComment => {
    const slide = requireSlide(db, req.slideId)
    assertEditable(db, slide.id)
    if (req.cellId != null && getImage(db, req.cellId)?.slideId !== slide.id) {
      throw new ReviewError('not_found', `cell ${req.cellId} not on slide ${slide.sampleId}`)
    }
    const id = appendComment(db, { slideId: slide.id, imageId: req.cellId ?? null, who, userId: req.userId ?? null, text, at: req.at })
    return toComment(listComments(db, slide.id).find((c) => c.id === id)!)
  }).immediate()
}

export function slideComments(db: Db, slideId: number): ReviewComment[] {
  requireSlide(db, slideId)
  return listComments(db, slideId).map(toComment)
}
