// Which folders of the core's machine a client may browse and import from.
//
// The desktop app, and browser mode on this machine's loopback address, read
// anywhere the user could (it is their own machine and their own session). A
// browser-mode server on a lab network serves people who are not at this
// machine: there an admin names the folders imports may come from
// (`wbc serve --import-root DIR`, repeatable), and nothing outside them can be
// listed or imported. A server on the network without any root imports
// nothing. Paths are compared after resolving links, so `root/../etc` or a
// link pointing out of a root does not get out.
import { realpathSync, statSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { ApiFailure } from './errors'

/** null: anywhere (desktop, loopback browser mode without roots); otherwise the resolved root folders (possibly none). */
export type ImportRoots = readonly string[] | null

/** The roots as the core uses them: absolute, links resolved, each an existing folder (throws otherwise, at start). */
export function resolveImportRoots(roots: readonly string[]): string[] {
  return roots.map((r) => {
    const abs = resolve(r)
    let real: string
    try {
      real = realpathSync(abs)
    } catch {
      throw new Error(`import root ${abs} does not exist`)
    }
    if (!statSync(real).isDirectory()) throw new Error(`import root ${abs} is not a folder`)
    return real
  })
}

export function isUnder(path: string, root: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** The root a resolved path lies in, if any. */
export function rootOf(realPath: string, roots: readonly string[]): string | undefined {
  return roots.find((r) => isUnder(realPath, r))
}

/**
 * Checks that a path a client sent may be read: returns it resolved (links
 * followed) when it lies inside a root, throws `forbidden` when it does not
 * and `not_found` when it does not exist. With no restriction, returns the
 * path as given.
 */
export async function allowedPath(path: string, roots: ImportRoots): Promise<string> {
  if (roots === null) return path
  if (roots.length === 0) throw new ApiFailure('forbidden', 'this server has no import folders: an admin starts it with --import-root FOLDER')
  let real: string
  try {
    real = await realpath(resolve(path))
  } catch {
    throw new ApiFailure('not_found', `no such file or folder: ${path}`)
  }
  if (!rootOf(real, roots)) throw new ApiFailure('forbidden', `imports come only from the folders this server was given: ${roots.join(', ')}`)
  return real
}
