// How the review core refuses: a CoreError (../errors) whose code the shells
// map to their own errors (the API's conflict / not_found / invalid_input,
// the CLI's exit status). Its own class so review tests can name it.
import { CoreError } from '../errors'

/** stale: the change was made against an older revision of the slide (./state, assertRevision). */
export type ReviewErrorCode = 'not_found' | 'conflict' | 'stale' | 'invalid_input'

export class ReviewError extends CoreError {
  constructor(code: ReviewErrorCode, message: string) {
    super(code, message)
    this.name = 'ReviewError'
  }
}
