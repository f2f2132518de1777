// Finding the cell images under an import path and what their folders say
// about them: class folders (a labelled set), slide folders (an analyser
// export), flat folders of one slide's cells, and CSV manifests beside them.
// Problems found while walking (unreadable folders, symlink loops, unknown
// class folders, manifest rows without a file) become entries in the same
// ordered list, so the import reports them in place and carries on.
import { readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs'
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { readManifest, type ManifestRow } from './manifest'
import { readOrderFile, type OrderFile } from '../order/worklist'
import { parseClassName } from './classes'

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.bmp', '.dib', '.tif', '.tiff'])

export interface ClassSource {
  class: string
  /** The folder name or manifest value it came from. */
  raw: string
}

export interface FoundFile {
  kind: 'file'
  path: string
  /** Relative to the import root, '/'-separated. */
  rel: string
  size: number
  slide?: string
  folderClass?: ClassSource
  manifestClass?: ClassSource
  /** Set when the file's folder or manifest row names a class we do not know. */
  unknownClass?: { raw: string; where: string }
}

export interface WalkIssue {
  kind: 'issue'
  path: string
  rel: string
  status: 'failed' | 'skipped'
  reason: string
  message: string
}

/** A CSV naming a slide's order and patient (a per-slide manifest, or a worklist beside the slides). */
export interface FoundOrderFile {
  kind: 'order'
  path: string
  rel: string
  file: OrderFile
  /** The slide of the folder it sits in: the sample of rows that name none. */
  slide?: string
}

export type WalkEntry = FoundFile | WalkIssue | FoundOrderFile

export interface WalkOptions {
  /** Keep class folders / manifest values we don't recognise as their own label instead of failing their files. */
  keepUnknownClasses?: boolean
  /**
   * Folders (links resolved) the walk may read: a link below the import path
   * that points out of all of them is reported, not followed. Set by a server
   * started with --import-root, whose clients may read only those folders.
   */
  confineTo?: readonly string[] | null
}

/** Whether a resolved path lies in a resolved folder (the same test the API's import roots make). */
function inside(path: string, folder: string): boolean {
  const rel = relative(folder, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

interface Ctx {
  slide?: string
  folderClass?: ClassSource
  unknownClass?: { raw: string; where: string }
  ancestors: Set<string>
}

export function walkImportPath(root: string, opts: WalkOptions = {}): WalkEntry[] {
  const absRoot = resolve(root)
  const out: WalkEntry[] = []
  const manifestRows = new Map<string, { row: ManifestRow; manifest: string; matched: boolean }>()
  const relOf = (p: string) => relative(absRoot, p).split(sep).join('/') || basename(p)

  const issue = (path: string, status: WalkIssue['status'], reason: string, message: string) =>
    out.push({ kind: 'issue', path, rel: relOf(path), status, reason, message })

  const classOf = (raw: string, where: string): { cls?: ClassSource; unknown?: { raw: string; where: string }; unlabelled?: boolean } => {
    const c = parseClassName(raw)
    if (c.kind === 'class') return { cls: { class: c.class, raw } }
    if (c.kind === 'unlabelled') return { unlabelled: true }
    if (opts.keepUnknownClasses && c.normalised) return { cls: { class: c.normalised, raw } }
    return { unknown: { raw, where } }
  }

  const addFile = (path: string, size: number, ctx: Ctx) => {
    const f: FoundFile = { kind: 'file', path, rel: relOf(path), size }
    if (ctx.slide) f.slide = ctx.slide
    if (ctx.folderClass) f.folderClass = ctx.folderClass
    if (ctx.unknownClass) f.unknownClass = ctx.unknownClass
    const m = manifestRows.get(path)
    if (m) {
      m.matched = true
      if (m.row.slide) f.slide = m.row.slide
      if (m.row.class) {
        const c = classOf(m.row.class, `${basename(m.manifest)} line ${m.row.line}`)
        if (c.cls) f.manifestClass = c.cls
        else if (c.unknown) f.unknownClass = c.unknown
      }
    }
    out.push(f)
  }

  const statEntry = (path: string): Stats | WalkIssue['reason'] => {
    try {
      return statSync(path) as Stats
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ELOOP') return 'symlink-loop'
      if (code === 'ENOENT') return 'broken-link'
      return 'unreadable'
    }
  }

  const scanDir = (dir: string, ctx: Ctx, isRoot: boolean) => {
    let entries: Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ELOOP') issue(dir, 'failed', 'symlink-loop', 'folder link loops back on itself; not followed')
      else issue(dir, 'failed', 'unreadable', `folder cannot be read (${describeErrno(err)}); nothing in it was imported`)
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

    // Manifests of this folder first, so the files below see their rows.
    const ownManifestPaths: string[] = []
    for (const e of entries) {
      if (!/\.csv$/i.test(e.name) || e.isDirectory()) continue
      const p = join(dir, e.name)
      try {
        const m = readManifest(p)
        if (!m) {
          const order = readOrderFile(p)
          if (order) {
            ownManifestPaths.push(p)
            const slide = ctx.slide ?? (isRoot ? basename(dir) : undefined)
            out.push({ kind: 'order', path: p, rel: relOf(p), file: order, ...(slide ? { slide } : {}) })
          }
          continue
        }
        ownManifestPaths.push(p)
        for (const row of m.rows) manifestRows.set(resolve(dir, row.file), { row, manifest: p, matched: false })
      } catch (err) {
        issue(p, 'failed', 'unreadable', `manifest cannot be read (${describeErrno(err)})`)
        ownManifestPaths.push(p)
      }
    }

    const files: { path: string; size: number }[] = []
    const dirs: { path: string; name: string; real: string }[] = []
    for (const e of entries) {
      const p = join(dir, e.name)
      if (ownManifestPaths.includes(p)) continue
      let isDir = e.isDirectory()
      let size = 0
      if (e.isSymbolicLink() || (!isDir && !e.isFile())) {
        const st = statEntry(p)
        if (typeof st === 'string') {
          if (st === 'symlink-loop') issue(p, 'failed', 'symlink-loop', 'symbolic link loops back on itself; not followed')
          else if (st === 'broken-link') issue(p, 'failed', 'unreadable', 'symbolic link points to nothing')
          else issue(p, 'failed', 'unreadable', 'cannot be read (permission denied or I/O error)')
          continue
        }
        if (opts.confineTo && e.isSymbolicLink()) {
          let real: string | null = null
          try {
            real = realpathSync(p)
          } catch {
            real = null
          }
          if (real === null || !opts.confineTo.some((f) => inside(real, f))) {
            issue(p, 'failed', 'outside-import-root', 'link points outside the folders this server imports from; not followed')
            continue
          }
        }
        isDir = st.isDirectory()
        if (!isDir && !st.isFile()) {
          if (IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) issue(p, 'failed', 'unreadable', 'not a regular file (device, socket or pipe)')
          continue
        }
        size = Number(st.size)
      }
      if (isDir) {
        if (e.name.startsWith('.')) continue // .git, .thumbnails and the like
        let real: string
        try {
          real = realpathSync(p)
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          issue(p, 'failed', code === 'ELOOP' ? 'symlink-loop' : 'unreadable', code === 'ELOOP' ? 'folder link loops back on itself; not followed' : `folder cannot be resolved (${describeErrno(err)})`)
          continue
        }
        if (ctx.ancestors.has(real)) {
          issue(p, 'failed', 'symlink-loop', 'folder link points back to a folder above it (a loop); not followed')
          continue
        }
        dirs.push({ path: p, name: e.name, real })
        continue
      }
      if (!IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) {
        issue(p, 'skipped', 'not-an-image-file', `not an image file name (${extname(e.name) || 'no extension'}); ignored`)
        continue
      }
      if (!size) {
        const st = statEntry(p)
        size = typeof st === 'string' ? 0 : Number(st.size)
      }
      files.push({ path: p, size })
    }

    // Is this folder a class tree? Only when it holds class folders and we are not inside one already.
    const parsed = dirs.map((d) => ({ ...d, parsed: parseClassName(d.name) }))
    const isClassTree = !ctx.folderClass && !ctx.unknownClass && parsed.some((d) => d.parsed.kind !== 'unknown')

    const ownFilesCtx: Ctx = { ...ctx }
    if (isRoot && !ctx.folderClass && !isClassTree && !ctx.slide) ownFilesCtx.slide = basename(dir)
    for (const f of files) addFile(f.path, f.size, ownFilesCtx)

    for (const d of parsed) {
      const child: Ctx = { ...ctx, ancestors: new Set(ctx.ancestors).add(d.real) }
      if (ctx.folderClass || ctx.unknownClass) {
        // Nested inside a class folder: a recognised name refines the class, anything else inherits it.
        const c = classOf(d.name, `folder ${d.name}`)
        if (c.cls && d.parsed.kind === 'class') {
          child.folderClass = c.cls
          delete child.unknownClass
        }
      } else if (isClassTree) {
        const c = classOf(d.name, `folder ${d.name}`)
        if (c.cls) child.folderClass = c.cls
        else if (c.unknown) child.unknownClass = c.unknown
      } else {
        // A slide folder of an export (its own cells, or class folders inside).
        child.slide = d.name
      }
      scanDir(d.path, child, false)
    }

    for (const mp of ownManifestPaths) {
      for (const [p, m] of manifestRows) {
        if (m.manifest === mp && !m.matched) {
          issue(p, 'failed', 'missing', `listed in ${basename(mp)} (line ${m.row.line}) but no such image file was found`)
          m.matched = true
        }
      }
    }
  }

  const st = statEntry(absRoot)
  if (typeof st === 'string') {
    issue(absRoot, 'failed', st === 'broken-link' ? 'unreadable' : st, st === 'broken-link' ? 'no such file or folder' : 'cannot be read')
    return out
  }
  let real = absRoot
  try {
    real = realpathSync(absRoot)
  } catch {
    /* stat succeeded; keep the path as given */
  }
  const rootCtx: Ctx = { ancestors: new Set([real]) }
  const rootClass = parseClassName(basename(absRoot))
  if (rootClass.kind === 'class') rootCtx.folderClass = { class: rootClass.class, raw: basename(absRoot) }
  if (st.isDirectory()) scanDir(absRoot, rootCtx, true)
  else if (IMAGE_EXTENSIONS.has(extname(absRoot).toLowerCase())) out.push({ kind: 'file', path: absRoot, rel: basename(absRoot), size: Number(st.size) })
  else issue(absRoot, 'skipped', 'not-an-image-file', `not an image file name (${extname(absRoot) || 'no extension'}); ignored`)
  return out
}

export function describeErrno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EIO') return 'I/O error'
  if (code === 'EISDIR') return 'is a folder'
  return code ?? (err instanceof Error ? err.message : String(err))
}
