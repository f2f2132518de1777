// How the people core refuses: a core error (src/main/errors) with a
// contract code (forbidden for a wrong password or a locked account,
// conflict for a taken name ...), mapped as is by the dispatcher and by the
// CLI's exit status.
import { CoreError } from '../errors'

export type PeopleErrorCode = 'forbidden' | 'conflict' | 'not_found' | 'invalid_input'

export class PeopleError extends CoreError {
  constructor(code: PeopleErrorCode, message: string) {
    super(code, message)
    this.name = 'PeopleError'
  }
}
