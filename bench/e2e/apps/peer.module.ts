import { Module } from '@nestjs/common';
import { PeerController } from './peer.controller';

/** The minimal Nest app the peers run: the sample's login and `GET /me`, nothing else. */
@Module({ controllers: [PeerController] })
export class PeerModule {}
