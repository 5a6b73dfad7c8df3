import { UseGuards } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { AxessAuthenticatedGuard, AxessSession, CurrentSession } from '@axess/nestjs-session';

// A socket.io gateway: only signed-in sessions connect (AxessIoAdapter), and each message is theirs.
@WebSocketGateway()
export class EventsGateway {
  @UseGuards(AxessAuthenticatedGuard)
  @SubscribeMessage('whoami')
  whoami(@CurrentSession() session: AxessSession) {
    return { userId: session.userId };
  }
}
