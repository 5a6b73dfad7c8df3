// Preloaded (`node --import`) into the Nest 12 sample child process, before the sample's main.js:
// registers the load-logging hooks, and ends the process when its stdin closes, i.e. when the test
// process that started it is gone, so that a crashed or killed test run leaves no sample behind.
import { register } from 'node:module';

register('./load-log.hooks.mjs', import.meta.url, { data: { logFile: process.env.AXESS_LOAD_LOG } });

process.stdin.on('close', () => process.exit(1));
process.stdin.resume();
process.stdin.unref();
