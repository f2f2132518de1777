// Where the workstation keeps its database. The default is the per-user data
// folder the desktop app uses (Electron's app.getPath('userData') for the
// product name "WBC Workstation"), computed here without Electron so the CLI
// and the app open the same file. WBC_DB overrides it; --db overrides both.
// Also where a database's work in progress lives (workDirOf), and where the
// full public datasets live (WBC_DATASETS), for benchmarks, training and the
// checks of the shipped model; the tests carry their own.
import { existsSync, mkdtempSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { basename, dirname, extname, join, resolve, win32, posix } from 'node:path'

export const PRODUCT_NAME = 'WBC Workstation'
export const DB_FILE_NAME = 'wbc.sqlite'

type Env = Record<string, string | undefined>

/** The per-user application data folder, as Electron computes userData for PRODUCT_NAME. */
export function userDataDir(env: Env = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'win32') {
    const appData = env.APPDATA || win32.join(home, 'AppData', 'Roaming')
    return win32.join(appData, PRODUCT_NAME)
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', PRODUCT_NAME)
  const config = env.XDG_CONFIG_HOME || posix.join(home, '.config')
  return posix.join(config, PRODUCT_NAME)
}

export function defaultDbPath(env: Env = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  const dir = userDataDir(env, platform, home)
  return platform === 'win32' ? win32.join(dir, DB_FILE_NAME) : posix.join(dir, DB_FILE_NAME)
}

/** The database file to open: --db, else $WBC_DB, else the desktop app's default. */
export function resolveDbPath(flag?: string, env: Env = process.env): string {
  if (flag) return resolve(flag)
  if (env.WBC_DB) return resolve(env.WBC_DB)
  return defaultDbPath(env)
}

let privateScratch: string | undefined

/**
 * Where work in progress of a database lives (training checkpoints between
 * epochs, a GAN's resumable state): beside the database file, in folders the
 * user alone owns, never a shared /tmp path another account could read or
 * plant files in. A database without a file (':memory:', tests) gets a
 * private temporary folder of this process (mkdtemp: mode 0700, unique name).
 */
export function workDirOf(dbFile: string): string {
  if (dbFile === '' || dbFile === ':memory:' || dbFile.startsWith('file::memory:')) {
    privateScratch ??= mkdtempSync(join(tmpdir(), 'wbc-work-'))
    return privateScratch
  }
  return join(dirname(resolve(dbFile)), `${basename(dbFile, extname(dbFile))}-work`)
}

/**
 * The folder of the full public datasets (pbc-wbc/, pbc-other/, chula-wbc/, as
 * `wbc datasets fetch` lays them out): $WBC_DATASETS when set, else
 * `../shared/datasets` beside the checkout when that exists, else undefined
 * (callers say how to get them rather than fail on a missing path).
 */
export function datasetsDir(repoRoot: string, env: Env = process.env): string | undefined {
  if (env.WBC_DATASETS) return resolve(env.WBC_DATASETS)
  const beside = resolve(repoRoot, '..', 'shared', 'datasets')
  return existsSync(beside) ? beside : undefined
}

/** What to tell someone whose datasets folder is missing. */
export const DATASETS_HINT = 'the full datasets are not here: set WBC_DATASETS to their folder, or get them with `npm run datasets` (CONTRIBUTING.md, "Data")'
