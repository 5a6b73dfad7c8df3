// Module loader hooks for the Nest 12 sample child process: they record the format and URL of
// every module Node's ES module loader loads (one "format url" line each, appended before the
// module is evaluated), so that the test can tell what the app really ran: which @nestjs/core,
// which build of the package, ES modules or CommonJS. They change nothing that gets loaded.
import { appendFileSync } from 'node:fs';

let logFile;

export function initialize(data) {
  logFile = data.logFile;
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  appendFileSync(logFile, `${result.format} ${url}\n`);
  return result;
}
