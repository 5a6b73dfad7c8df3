import type { AxessTelemetry } from '../telemetry/axess-telemetry.js';

/** Runs a revocation in its span (`axess.revoke`: its scope, outcome and how many sessions it ended). */
export function inRevocationSpan(
  telemetry: AxessTelemetry,
  scope: 'session' | 'others' | 'all',
  run: () => Promise<string[]>,
): Promise<string[]> {
  return telemetry.inSpan('axess.revoke', { attributes: { 'axess.revoke.scope': scope } }, async (span) => {
    try {
      const revoked = await run();
      span?.setAttributes({ 'axess.outcome': 'ok', 'axess.revoked_count': revoked.length });
      return revoked;
    } catch (error) {
      span?.setAttribute('axess.outcome', 'failed');
      throw error;
    }
  });
}
