import { Module } from '@nestjs/common';
import { BareController } from './bare.controller';

/** The minimal Nest app with no session library: the per-request floor of Nest itself. */
@Module({ controllers: [BareController] })
export class BareModule {}
