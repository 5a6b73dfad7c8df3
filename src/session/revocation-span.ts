import type { AxessTelemetry } from '../telemetry/axess-telemetry.js';

/** Runs a revocation in its span (`axess.revoke`: its scope, outcome and how many sessions it ended). */
export function inRevocationSpan<T extends string[] | number>(
  telemetry: AxessTelemetry,
  scope: 'session' | 'others' | 'all' | 'everyone',
  run: () => Promise<T>,
): Promise<T> {
  return telemetry.inSpan('axess.revoke', { attributes: { 'axess.revoke.scope': scope } }, async (span) => {
    try {
      const revoked = await run();
      span?.setAttributes({ 'axess.outcome': 'ok', 'axess.revoked_count': typeof revoked === 'number' ? revoked : revoked.length });
      return revoked;
    } catch (error) {
      span?.setAttribute('axess.outcome', 'failed');
      throw error;
    }
  });
}
