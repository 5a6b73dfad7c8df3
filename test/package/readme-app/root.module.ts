import { Module } from '@nestjs/common';
import { AppModule } from './app.module';
import { FeatureModule } from './feature.module';

@Module({ imports: [AppModule, FeatureModule] })
export class RootModule {}
