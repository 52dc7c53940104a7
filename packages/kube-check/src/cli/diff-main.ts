// `npm run diff -- <git-ref> [--json] [dir...]`: see DIFF_USAGE.
import { runDiffCommand } from './diff-command.js';
import { processIo } from './usage.js';

process.exitCode = runDiffCommand(process.argv.slice(2), processIo());
