import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { sampleConfigFromEnv } from './sample.config';
import { createSampleApp } from './sample.app';

async function main(): Promise<void> {
  const config = sampleConfigFromEnv();
  const sample = await createSampleApp(config);
  const stop = async () => {
    await sample.close();
    process.exit(0);
  };
  // Signal listeners ignore what they return; a failing close() still surfaces as an unhandled rejection.
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await sample.app.listen(config.port, '127.0.0.1');
  new Logger('Sample').log(
    `Listening on http://localhost:${config.port} (${config.fastify ? 'Fastify' : 'Express'}, ${sample.backend} store, max ${config.maxSessions} sessions per user)`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
