// People: accounts, passwords, sign-in and the acting user (see ./accounts).
export * from './accounts'
export * from './errors'
export { hashPassword, verifyPassword } from './password'
export * from './worker-credentials'
