// folders.list: one level of the core machine's filesystem, so a user can
// choose an import folder from the UI (in browser mode the folder is on the
// server, which is where the import runs).
import { readdir, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import type { FolderListing } from '../../shared/api'
import { ApiFailure } from './errors'
import { allowedPath, rootOf, type ImportRoots } from './import-roots'

const IMAGE_EXT = /\.(jpe?g|png|bmp|tiff?)$/i
const MAX_ENTRIES = 2000

/**
 * One level of a folder. Dotfiles and dot-folders are never listed. With
 * import roots (./import-roots), the default is the first root, anything
 * outside the roots is refused, and a root's parent is not offered.
 */
export async function listFolder(path: string | undefined, roots: ImportRoots = null): Promise<FolderListing> {
  const raw = path?.trim() || (roots?.[0] ?? homedir())
  if (!isAbsolute(raw)) throw new ApiFailure('invalid_input', 'give an absolute folder path')
  const dir = roots === null ? resolve(raw) : await allowedPath(raw, roots)
  let st
  try {
    st = await stat(dir)
  } catch {
    throw new ApiFailure('not_found', `folder not found: ${dir}`)
  }
  if (!st.isDirectory()) throw new ApiFailure('invalid_input', `not a folder: ${dir}`)
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    throw new ApiFailure('forbidden', `cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  const folders: FolderListing['folders'] = []
  let imageFiles = 0
  for (const e of entries) {
    if (e.name.startsWith('.')) continue
    let isDir = e.isDirectory()
    if (e.isSymbolicLink()) isDir = await stat(join(dir, e.name)).then((s) => s.isDirectory(), () => false)
    if (isDir) {
      if (folders.length < MAX_ENTRIES) folders.push({ name: e.name, path: join(dir, e.name) })
    } else if (IMAGE_EXT.test(e.name)) imageFiles++
  }
  folders.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))
  const parent = dirname(dir)
  const topmost = parent === dir || basename(dir) === '' || (roots !== null && roots.includes(dir)) || (roots !== null && !rootOf(parent, roots))
  return { path: dir, parent: topmost ? null : parent, folders, imageFiles }
}
