import { Body, Controller, Get, HttpCode, Put, UseGuards } from '@nestjs/common';
import { AxessAuthenticatedGuard, CurrentSession, type AxessSession } from '@axess/nestjs-session';

declare module '@axess/nestjs-session' {
  interface AxessSessionData {
    /** The soak's data write: the last note its device stored in the session. */
    chaosNote: string;
  }
}

/** The soak's data writes: a note kept in the session, written and read back by its own device. */
@Controller('chaos')
@UseGuards(AxessAuthenticatedGuard)
export class NotesController {
  @Put('note')
  @HttpCode(200)
  write(@CurrentSession() session: AxessSession, @Body() body: { note?: unknown } | undefined) {
    if (typeof body?.note === 'string') session.set('chaosNote', body.note);
    return { userId: session.userId, sessionId: session.id, note: session.get('chaosNote') };
  }

  @Get('note')
  read(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, sessionId: session.id, note: session.get('chaosNote') };
  }
}
