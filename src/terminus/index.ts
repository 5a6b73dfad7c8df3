/**
 * A health indicator for `@nestjs/terminus` (an optional peer dependency, needed by this entry
 * point only): `import { AxessHealthIndicator } from '@axess/nestjs-session/terminus'`.
 *
 * @packageDocumentation
 * @module \@axess/nestjs-session/terminus
 */
export { AXESS_HEALTH_DOWN_MESSAGE, AxessHealthIndicator } from './axess-health.indicator.js';
export type { AxessHealthIndicatorOptions } from './axess-health.indicator.js';
