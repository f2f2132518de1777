// Electron entry point. Everything Electron-specific lives in ./electron; the
// core beside it never imports electron, so the CLI, tests and app share it.
import { startDesktopApp } from './electron/app'

startDesktopApp()
