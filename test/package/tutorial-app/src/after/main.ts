import { NestFactory } from '@nestjs/core';
import { AxessIoAdapter } from '@axess/nestjs-session/socket.io';
import passport from 'passport';
import { AppModule } from './app.module';

export async function bootstrap() {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.use(passport.initialize());
  app.use(passport.session());
  app.useWebSocketAdapter(new AxessIoAdapter(app));
  await app.listen(0, '127.0.0.1');
  return { app, close: async () => await app.close() };
}
