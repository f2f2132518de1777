// How the LIS core refuses: a CoreError (../errors) whose code the shells map
// to their own errors (the API's conflict / not_found / invalid_input, the
// CLI's exit status). Its own class so LIS tests can name it.
import { CoreError } from '../errors'

export type LisErrorCode = 'not_found' | 'conflict' | 'invalid_input'

export class LisError extends CoreError {
  constructor(code: LisErrorCode, message: string) {
    super(code, message)
    this.name = 'LisError'
  }
}
