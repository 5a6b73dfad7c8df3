import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { AxessHealthService } from '../health/axess-health.service.js';

/** What a `down` result says, whatever went wrong: the client's own error (hosts, ports) goes to the log only. */
export const AXESS_HEALTH_DOWN_MESSAGE = 'The session store is not reachable.';

/** Options of {@link AxessHealthIndicator.isHealthy}. */
export interface AxessHealthIndicatorOptions {
  /** How long the PING may take before the store counts as down. @default 1000 */
  timeoutMs?: number;
}

/**
 * A `@nestjs/terminus` health indicator for the session store: a PING bounded by a timeout
 * (`AxessHealthService.check`). `up` carries the backend and the PING's latency; `down` carries
 * the backend, a fixed reason (`unavailable` or `timeout`) and {@link AXESS_HEALTH_DOWN_MESSAGE},
 * never the client's error text. Provide it next to `TerminusModule`.
 *
 * @example
 * @Module({ imports: [TerminusModule], controllers: [HealthController], providers: [AxessHealthIndicator] })
 * class HealthModule {}
 *
 * @Controller('health')
 * class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly axess: AxessHealthIndicator) {}
 *   @Get() @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.axess.isHealthy('session-store', { timeoutMs: 500 })]);
 *   }
 * }
 */
@Injectable()
export class AxessHealthIndicator {
  /** Created by Nest's injector: `AxessHealthService` from `AxessSessionModule`, `HealthIndicatorService` from `TerminusModule`. @internal */
  constructor(
    private readonly health: AxessHealthService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /**
   * PINGs the session store; `up` when it answers within the timeout, else `down` (Terminus's
   * `HealthCheckService` then answers 503). Never throws.
   * @param key the result's key in the health report. @default 'axess'
   */
  async isHealthy<const Key extends string = 'axess'>(
    key: Key = 'axess' as Key,
    options: AxessHealthIndicatorOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    const result = await this.health.check(options.timeoutMs ?? 1000);
    if (result.status === 'up') return indicator.up({ backend: result.backend, latencyMs: result.latencyMs });
    return indicator.down({ backend: result.backend, reason: result.error ?? 'unavailable', message: AXESS_HEALTH_DOWN_MESSAGE });
  }
}
