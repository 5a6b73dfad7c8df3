import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { runSoak } from './soak';

/**
 * `npm run chaos -- --minutes N --topology cluster|sentinel [--seed S] [--durable on|off]`:
 * progress on stderr, the summary as the last line of stdout (one JSON object).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '2' },
      topology: { type: 'string', default: 'cluster' },
      seed: { type: 'string', default: '1' },
      durable: { type: 'string', default: 'on' },
    },
  });
  const minutes = Number(values.minutes);
  const seed = Number(values.seed);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  if (values.topology !== 'cluster' && values.topology !== 'sentinel') throw new Error('--topology must be cluster or sentinel');
  if (values.durable !== 'on' && values.durable !== 'off') throw new Error('--durable must be on or off');
  const { summary } = await runSoak({
    topology: values.topology,
    minutes,
    seed,
    durable: values.durable === 'on',
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
