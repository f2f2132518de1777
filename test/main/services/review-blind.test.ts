// The review and blind services' refusals are CoreErrors with the contract's
// codes, whichever shell calls: signing needs a signer role (the CLI's check
// too), an unknown slide's settings are not_found, a bad LIS destination is
// invalid_input; a reader not invited to a blind session finds no such
// session, an invited one and an organiser take it, and the session list
// each sees follows the invitation.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CoreError } from '../../../src/main/errors'
import { destinationOf } from '../../../src/main/lis'
import { LOCAL_OPERATOR } from '../../../src/main/people'
import { requireTakes, visibleSessions } from '../../../src/main/services/blind'
import { reviewHistory, signSlideAs, slideReviewSettings } from '../../../src/main/services/review'
import { insertBlindSessionHeader, inviteBlindReader, markBlindSessionReady, openStore, type Db } from '../../../src/main/store'
import type { Caller } from '../../../src/shared/people'
import { addTestUser } from '../../helpers/people'

let db: Db
beforeEach(() => {
  db = openStore(':memory:')
})
afterEach(() => db.close())

function refusal(f: () => unknown): { code: string; message: string } {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(CoreError)
    return { code: (err as CoreError).code, message: (err as CoreError).message }
  }
  throw new Error('not refused')
}

describe('review service', () => {
  it('refuses a signature from a role that may not sign, before it looks at the slide', () => {
    const tech: Caller = { userId: 5, name: 'tech', roles: ['technologist'] }
    expect(refusal(() => signSlideAs(db, tech, { slideId: 1, meaning: 'reviewed' }))).toEqual({ code: 'forbidden', message: 'tech may not sign: signing needs the verifier role' })
    // A verifier gets as far as the review core, which finds no slide 1.
    expect(refusal(() => signSlideAs(db, { ...tech, roles: ['verifier'] }, { slideId: 1, meaning: 'reviewed' })).code).toBe('not_found')
  })

  it("reads the lab's settings when nothing changes, refuses an unknown slide, and history of an unknown slide", () => {
    expect(slideReviewSettings(db, null, {}, LOCAL_OPERATOR).unidentifiedThreshold).toBeGreaterThan(0)
    expect(refusal(() => slideReviewSettings(db, 99, {}, LOCAL_OPERATOR))).toEqual({ code: 'not_found', message: 'slide 99 not found' })
    expect(slideReviewSettings(db, null, { secondVerification: true, targetCount: undefined }, LOCAL_OPERATOR).secondVerification).toBe(true)
    expect(refusal(() => reviewHistory(db, { slideId: 99 })).code).toBe('not_found')
  })

  it('refuses a LIS destination that is not HOST:PORT as invalid input', () => {
    expect(destinationOf('lis.lab:2575')).toEqual({ host: 'lis.lab', port: 2575 })
    expect(refusal(() => destinationOf('lis.lab'))).toEqual({ code: 'invalid_input', message: 'not a HOST:PORT destination: "lis.lab"' })
  })
})

describe('blind service', () => {
  it('lets an organiser and an invited reader take a session; anyone else finds none', async () => {
    const id = insertBlindSessionHeader(db, { name: 'round 1', recipeJson: '{}', askOrigin: false, classes: ['neutrophil'], displaySize: 64, secret: 's' })
    markBlindSessionReady(db, id)
    const ann = await addTestUser(db, 'ann', ['reader'])
    const bob = await addTestUser(db, 'bob', ['reader'])
    const reader = (u: { userId: number; name: string }): Caller => ({ userId: u.userId, name: u.name, roles: ['reader'] })
    inviteBlindReader(db, id, ann.userId, { userId: null, name: 'local operator' })

    expect(() => requireTakes(db, LOCAL_OPERATOR, id)).not.toThrow()
    expect(() => requireTakes(db, reader(ann), id)).not.toThrow()
    expect(refusal(() => requireTakes(db, reader(bob), id))).toEqual({ code: 'not_found', message: `blind session ${id} not found` })
    expect(refusal(() => requireTakes(db, { userId: null, name: 'nobody', roles: ['reader'] }, id)).code).toBe('not_found')

    expect(visibleSessions(db, LOCAL_OPERATOR).map((s) => s.id)).toEqual([id])
    expect(visibleSessions(db, reader(ann)).map((s) => s.id)).toEqual([id])
    expect(visibleSessions(db, reader(bob))).toEqual([])
  })
})
