import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { AxessHealthService } from '@axess/nestjs-session';

/** 200 when the session backend answers a PING, 503 otherwise. */
@Controller('health')
export class HealthController {
  constructor(private readonly health: AxessHealthService) {}

  @Get()
  async check() {
    const result = await this.health.check(1000);
    if (result.status !== 'up') throw new ServiceUnavailableException(result);
    return result;
  }
}
