import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { FaultRecord, Operation } from './history';
import { summarize } from './report';
import { checkSoakHistory, runSoak } from './soak';

/**
 * `npm run chaos -- --minutes N --topology cluster|sentinel [--seed S] [--durable on|off] [--cut-links]`:
 * progress on stderr, the summary as the last line of stdout (one JSON object). With
 * `--history FILE`, no soak runs: the history file of an earlier run is checked again (with this
 * checker) and summarized, labelled with the other options given.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '2' },
      topology: { type: 'string', default: 'cluster' },
      seed: { type: 'string', default: '1' },
      durable: { type: 'string', default: 'on' },
      history: { type: 'string' },
      'cut-links': { type: 'boolean', default: false },
    },
  });
  const minutes = Number(values.minutes);
  const seed = Number(values.seed);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  if (values.topology !== 'cluster' && values.topology !== 'sentinel') throw new Error('--topology must be cluster or sentinel');
  if (values.durable !== 'on' && values.durable !== 'off') throw new Error('--durable must be on or off');
  if (values.history !== undefined) {
    const { operations, faults } = JSON.parse(readFileSync(values.history, 'utf8')) as { operations: Operation[]; faults: FaultRecord[] };
    const elapsedMs = operations.reduce((last, op) => Math.max(last, op.end), 0);
    const run = {
      topology: values.topology,
      seed,
      minutes,
      durableWrites: values.durable === 'on',
      elapsedMs,
      historyFile: values.history,
    };
    process.stdout.write(`${JSON.stringify(summarize(run, operations, faults, checkSoakHistory(operations)))}\n`);
    return;
  }
  const { summary } = await runSoak({
    topology: values.topology,
    minutes,
    seed,
    durable: values.durable === 'on',
    cutLinks: values['cut-links'],
    log: (line) => process.stderr.write(`chaos: ${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
