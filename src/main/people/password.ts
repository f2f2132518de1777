// Password hashing with scrypt from node:crypto (RFC 7914), the parameters
// stored in the hash so they can be raised later without locking anyone out.
// N = 2^15, r = 8 (32 MiB, tens of milliseconds on one core): costly enough
// to slow an offline guesser, cheap enough for a sign-in or a signature.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const PREFIX = 'scrypt'
const N = 1 << 15
const R = 8
const P = 1
const KEY_BYTES = 32

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))))
}

const maxmem = (n: number, r: number) => 128 * n * r * 2

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, KEY_BYTES, { N, r: R, p: P, maxmem: maxmem(N, R) })
  return [PREFIX, N, R, P, salt.toString('base64'), key.toString('base64')].join('$')
}

/** Whether `password` matches `stored`; false (never a throw) for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== PREFIX) return false
  const [n, r, p] = parts.slice(1, 4).map(Number)
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20 || r > 32 || p > 16) return false
  const salt = Buffer.from(parts[4], 'base64')
  const expected = Buffer.from(parts[5], 'base64')
  if (expected.length < 16) return false
  const key = await scrypt(password, salt, expected.length, { N: n, r, p, maxmem: maxmem(n, r) })
  return timingSafeEqual(key, expected)
}

/** A hash no password matches, computed once: checked against when the name is unknown, so timing does not tell names apart. */
let decoy: Promise<string> | undefined
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64'))
  return decoy
}
