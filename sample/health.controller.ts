import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { AXESS_HEALTH_DOWN_MESSAGE, AxessHealthIndicator } from '@axess/nestjs-session/terminus';

/** What `/health` says while the session backend does not answer: fixed words, never the client's error. */
export const HEALTH_DOWN_MESSAGE = AXESS_HEALTH_DOWN_MESSAGE;

/** The key of the session store in the health report. */
export const HEALTH_KEY = 'session-store';

/**
 * `GET /health` through `@nestjs/terminus`: 200 `{ status: 'ok', info: { 'session-store': { status:
 * 'up', backend, latencyMs } }, ... }` when the session backend answers a PING within a second,
 * 503 `{ status: 'error', error: { 'session-store': { status: 'down', backend, reason, message } },
 * ... }` otherwise. The 503 body is fixed: the client's error text (e.g. "connect ECONNREFUSED
 * 10.0.0.5:6379") can name internal hosts and ports, so it goes to the server log only.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sessions: AxessHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sessions.isHealthy(HEALTH_KEY, { timeoutMs: 1000 })]);
  }
}
