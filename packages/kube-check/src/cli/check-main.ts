// `npm run check [-- options] [dir...]`: see CHECK_USAGE.
import { runCheckCommand } from './check-command.js';
import { processIo } from './usage.js';

process.exitCode = runCheckCommand(process.argv.slice(2), processIo());
