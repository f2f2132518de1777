// Where the database may live: a file on an NFS, SMB or sshfs mount is
// refused with a message that says what to do; local disks, tmpfs and
// overlay mounts pass. Linux mounts are read from a mountinfo text (the real
// /proc/self/mountinfo in the last case), Windows shares from UNC paths.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { assertLocalDatabase, mountOf, NetworkDatabaseError, networkFilesystemOf, parseMountinfo } from '../../../src/main/store/location'
import { openStore } from '../../../src/main/store'

// A lab server's mounts: local root, a tmpfs, an NFS share, an sshfs mount, a CIFS share whose name has a space.
const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '30 22 0:25 / /tmp rw,nosuid shared:5 - tmpfs tmpfs rw',
  '41 22 0:50 / /srv/lab rw,relatime shared:20 - nfs4 fileserver:/export/lab rw,vers=4.2',
  '42 41 8:2 / /srv/lab/local rw,relatime - xfs /dev/sdb1 rw',
  '43 22 0:51 / /mnt/remote rw,nosuid,nodev - fuse.sshfs olga@host:/data rw,user_id=1000',
  '44 22 0:52 / /mnt/lab\\040share rw,relatime - cifs //nas/lab\\040share rw,vers=3.1.1'
].join('\n')

describe('the database location check', () => {
  it('reads the mount points and filesystem types, escapes included', () => {
    const mounts = parseMountinfo(MOUNTINFO)
    expect(mounts.map((m) => `${m.mountPoint}=${m.fsType}`)).toEqual(['/=ext4', '/tmp=tmpfs', '/srv/lab=nfs4', '/srv/lab/local=xfs', '/mnt/remote=fuse.sshfs', '/mnt/lab share=cifs'])
    expect(mountOf('/srv/lab/local/wbc.sqlite', mounts)?.fsType).toBe('xfs')
    expect(mountOf('/srv/laboratory/wbc.sqlite', mounts)?.fsType).toBe('ext4')
  })

  it('names the network filesystem a database would be on, and nothing for local disks', () => {
    const probe = { platform: 'linux' as const, mountinfo: MOUNTINFO, locate: (f: string) => f }
    expect(networkFilesystemOf('/srv/lab/wbc/wbc.sqlite', probe)).toBe('nfs4')
    expect(networkFilesystemOf('/mnt/remote/wbc.sqlite', probe)).toBe('fuse.sshfs')
    expect(networkFilesystemOf('/mnt/lab share/wbc.sqlite', probe)).toBe('cifs')
    expect(networkFilesystemOf('/srv/lab/local/wbc.sqlite', probe)).toBeNull()
    expect(networkFilesystemOf('/var/lib/wbc/wbc.sqlite', probe)).toBeNull()
    expect(networkFilesystemOf('/tmp/wbc.sqlite', probe)).toBeNull()
    expect(() => assertLocalDatabase('/srv/lab/wbc.sqlite', probe)).toThrow(NetworkDatabaseError)
    expect(() => assertLocalDatabase('/srv/lab/wbc.sqlite', probe)).toThrow(/network filesystem \(nfs4\).*local disk.*wbc serve/s)
  })

  it('refuses a Windows share by its UNC path, not a drive letter or the device namespace', () => {
    expect(networkFilesystemOf('\\\\nas\\lab\\wbc.sqlite', { platform: 'win32' })).toBe('smb')
    expect(networkFilesystemOf('//nas/lab/wbc.sqlite', { platform: 'win32' })).toBe('smb')
    expect(networkFilesystemOf('C:\\Users\\olga\\wbc.sqlite', { platform: 'win32' })).toBeNull()
    expect(networkFilesystemOf('\\\\?\\C:\\wbc\\wbc.sqlite', { platform: 'win32' })).toBeNull()
  })

  it('lets openStore open a database on this machine’s temporary folder (a local mount)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wbc-location-'))
    try {
      expect(networkFilesystemOf(join(dir, 'wbc.sqlite'))).toBeNull()
      openStore(join(dir, 'wbc.sqlite')).close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
