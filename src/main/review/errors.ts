// How the review core refuses: a code the shells map to their own errors
// (the API's conflict / not_found / invalid_input, the CLI's exit status).
export type ReviewErrorCode = 'not_found' | 'conflict' | 'invalid_input'

export class ReviewError extends Error {
  constructor(
    readonly code: ReviewErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ReviewError'
  }
}
