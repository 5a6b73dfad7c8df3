import { Controller, Get, Header } from '@nestjs/common';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from './sample-metrics';

/**
 * `GET /metrics`: the process's OpenTelemetry metrics (the library's `axess_*` among them) in the
 * Prometheus text format, for a Prometheus scrape. Open on the sample's own port for the demo;
 * a real deployment serves it where only the scraper reaches it.
 */
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', PROMETHEUS_CONTENT_TYPE)
  @Header('cache-control', 'no-store')
  metrics(): Promise<string> {
    return prometheusText();
  }
}
