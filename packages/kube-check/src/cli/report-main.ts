// `npm run report [-- options] [dir...]`: see REPORT_USAGE.
import { runReportCommand } from './report-command.js';
import { processIo } from './usage.js';

process.exitCode = await runReportCommand(process.argv.slice(2), processIo());
