import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AxessHealthIndicator } from '@axess/nestjs-session/terminus';
import { HealthController } from '../health.controller';
import { MetricsController } from './metrics.controller';

/**
 * What an operator reads: `GET /health` (Terminus, with the session store's indicator) and
 * `GET /metrics` (Prometheus). The metrics SDK itself is registered before the app is created
 * (`registerSampleMetrics`, in `createSampleApp`).
 */
@Module({
  imports: [TerminusModule],
  controllers: [HealthController, MetricsController],
  providers: [AxessHealthIndicator],
})
export class ObservabilityModule {}
