#!/usr/bin/env node
// The `wbc` command line. It runs the TypeScript core directly through tsx, so
// the CLI never drifts from the sources the tests and the app are built from.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
