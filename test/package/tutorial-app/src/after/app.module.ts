import { Module } from '@nestjs/common';
import { AxessSessionModule } from '@axess/nestjs-session';
import { AuthModule } from '../auth';
import { EventsGateway } from './events.gateway';
import { SessionController } from './session.controller';

@Module({
  imports: [
    AuthModule,
    AxessSessionModule.forRoot({
      connection: { url: process.env.VALKEY_URL },
      encryptionKey: process.env.AXESS_ENCRYPTION_KEY!,
      signingKey: process.env.AXESS_SIGNING_KEY!,
      maxSessionsPerUser: 3,
      cookie: { secure: false },
      migrateFrom: { expressSession: { secrets: process.env.SESSION_SECRET! } },
    }),
  ],
  controllers: [SessionController],
  providers: [EventsGateway],
})
export class AppModule {}
