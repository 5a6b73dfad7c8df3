import { Controller, Get, Logger, ServiceUnavailableException } from '@nestjs/common';
import { AxessHealthService } from '@axess/nestjs-session';

/** What `/health` answers while the session backend does not: fixed words, never the client's error. */
export const HEALTH_DOWN_MESSAGE = 'The session store is not reachable.';

/**
 * 200 `{ status: 'up', backend, latencyMs }` when the session backend answers a PING, 503
 * otherwise. The 503 body is fixed: the client's error text (e.g. "connect ECONNREFUSED
 * 10.0.0.5:6379", "Reached the max retries per request limit...") can name internal hosts and
 * ports, so it goes to the server log only.
 */
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(private readonly health: AxessHealthService) {}

  @Get()
  async check() {
    const result = await this.health.check(1000);
    if (result.status !== 'up') {
      this.logger.warn(`Session backend (${result.backend}) is down: ${result.error ?? 'no reason given'}`);
      throw new ServiceUnavailableException({ statusCode: 503, status: 'down', backend: result.backend, message: HEALTH_DOWN_MESSAGE });
    }
    return result;
  }
}
