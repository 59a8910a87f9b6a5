#!/usr/bin/env node
/**
 * The `aep-autoretry` command (the package's `bin`): registers tsx's CommonJS loader so the CLI
 * runs from its TypeScript sources, then hands over to `cli/main.ts`.
 */

require('tsx/cjs/api').register();
const { main } = require('./main.ts');

main();
