import { NestFactory } from '@nestjs/core';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import passport from 'passport';
import { createClient } from 'redis';
import { AppModule } from './app.module';

export async function bootstrap() {
  const redisClient = createClient({ url: process.env.VALKEY_URL });
  await redisClient.connect();
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.use(
    session({
      store: new RedisStore({ client: redisClient }),
      secret: process.env.SESSION_SECRET!,
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  await app.listen(0, '127.0.0.1');
  return { app, close: async () => (await app.close(), await redisClient.quit()) };
}
