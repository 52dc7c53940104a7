/**
 * Logs through coalescedStdout(), then ends the way argv[2] says, in the same turn of the event loop
 * as the last lines: `exit` (process.exit(3)), `throw` (an uncaught exception) or `return` (the loop
 * simply runs out of work).
 */
import { coalescedStdout, createLogger } from '../../src/index.js';

const logger = createLogger({ name: 'exit-test', destination: coalescedStdout() });
for (let line = 0; line < 5; line += 1) logger.info({ line }, 'pending');
const how = process.argv[2];
if (how === 'exit') process.exit(3);
if (how === 'throw') throw new Error('crash after logging');
