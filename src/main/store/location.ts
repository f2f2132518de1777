// Where the database file may live. SQLite in WAL mode needs its readers and
// writer on one host with working POSIX locks and shared memory (the -shm
// wal-index); on a network filesystem (NFS, SMB/CIFS, sshfs ...) locking is
// unreliable and the wal-index is not shared across hosts, so a second
// machine opening the same file can corrupt it silently. SQLite's own advice
// is one application server in front of a file on a local disk: that is
// `wbc serve` as a lab server, and clients connect to it (docs/scale.md).
//
// Detected on Linux from /proc/self/mountinfo (the filesystem type of the
// mount holding the file, fuse subtypes included) and on Windows from UNC
// paths (\\server\share). A mapped drive letter on Windows and network mounts
// on macOS are not detected (docs/scale.md says so).
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

/** Filesystem types that are a share on another machine (mountinfo's type field; fuse mounts as fuse.<subtype>). */
export const NETWORK_FILESYSTEMS: readonly string[] = [
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'smb2', 'ncpfs', 'afs', 'coda', 'ceph', 'glusterfs', 'lustre', 'gfs2', 'ocfs2', 'davfs', '9p.network',
  'fuse.sshfs', 'sshfs', 'fuse.glusterfs', 'fuse.cephfs', 'fuse.davfs2', 'fuse.rclone', 'fuse.s3fs', 'fuse.gcsfuse', 'fuse.smbnetfs', 'fuse.curlftpfs'
]

export class NetworkDatabaseError extends Error {
  constructor(
    readonly file: string,
    readonly fsType: string
  ) {
    super(
      `refusing to open the database ${file}: it is on a network filesystem (${fsType}). SQLite on a network share can be corrupted ` +
        `without warning. Keep the database on a local disk of the machine that runs the workstation (--db or WBC_DB), and let other ` +
        `stations connect to it through \`wbc serve\` (docs/scale.md); backups may go to a share (\`wbc backup\`).`
    )
    this.name = 'NetworkDatabaseError'
  }
}

interface Mount {
  mountPoint: string
  fsType: string
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 ...). */
const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)))

/** The mounts of a /proc/self/mountinfo text (fields: id parent dev root mountpoint options [optional...] - fstype source super). */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = []
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ')
    const dash = fields.indexOf('-')
    if (fields.length < 7 || dash < 6 || dash + 1 >= fields.length) continue
    mounts.push({ mountPoint: unescapeMount(fields[4]!), fsType: fields[dash + 1]! })
  }
  return mounts
}

/** The mount holding `path`: the last-mounted one with the longest mount point that contains it. */
export function mountOf(path: string, mounts: readonly Mount[]): Mount | null {
  let best: Mount | null = null
  for (const m of mounts) {
    const inside = m.mountPoint === '/' || path === m.mountPoint || path.startsWith(m.mountPoint.endsWith('/') ? m.mountPoint : m.mountPoint + '/')
    if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m
  }
  return best
}

/** The file's real location: the file if it exists, else its nearest existing folder (symlinks resolved). */
function realLocation(file: string): string {
  let p = resolve(file)
  while (!existsSync(p)) {
    const up = dirname(p)
    if (up === p) return p
    p = up
  }
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

export interface LocationProbe {
  platform?: NodeJS.Platform
  /** The mountinfo text (default: read /proc/self/mountinfo on Linux). */
  mountinfo?: string | null
  /** Where the file really is (default: the file or its nearest existing folder, symlinks resolved). */
  locate?: (file: string) => string
}

/** The network filesystem type a database file would live on, or null when it is local (or cannot be told). */
export function networkFilesystemOf(file: string, probe: LocationProbe = {}): string | null {
  const platform = probe.platform ?? process.platform
  if (platform === 'win32') {
    // \\server\share\... (but not the \\?\C:\ or \\.\ device namespaces).
    return /^[\\/]{2}(?![?.][\\/])[^\\/]+[\\/]/.test(file) ? 'smb' : null
  }
  if (platform !== 'linux') return null
  let text = probe.mountinfo
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8')
    } catch {
      text = null
    }
  }
  if (!text) return null
  const mount = mountOf((probe.locate ?? realLocation)(file), parseMountinfo(text))
  if (!mount) return null
  const type = mount.fsType.toLowerCase()
  return NETWORK_FILESYSTEMS.includes(type) ? type : null
}

/** Throws NetworkDatabaseError when the database file would live on a network filesystem. */
export function assertLocalDatabase(file: string, probe: LocationProbe = {}): void {
  const fsType = networkFilesystemOf(file, probe)
  if (fsType) throw new NetworkDatabaseError(resolve(file), fsType)
}
