// How the LIS core refuses: a code the shells map to their own errors (the
// API's conflict / not_found / invalid_input, the CLI's exit status).
export type LisErrorCode = 'not_found' | 'conflict' | 'invalid_input'

export class LisError extends Error {
  constructor(
    readonly code: LisErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'LisError'
  }
}
