import { rawRequest } from './session-request.js';

/** Longest ip / user agent kept in a record: headers are client-controlled. */
const MAX_FIELD_LENGTH = 512;

/** The client's address and user agent, as the framework sees them (Express `req.ip` honours `trust proxy`). */
export function clientInfo(req: unknown): { ip?: string; userAgent?: string } {
  const framework = req as { ip?: unknown };
  const raw = rawRequest(req);
  const ip = typeof framework?.ip === 'string' ? framework.ip : raw?.socket?.remoteAddress;
  const agent = raw?.headers?.['user-agent'];
  return {
    ...(typeof ip === 'string' && ip.length > 0 ? { ip: ip.slice(0, MAX_FIELD_LENGTH) } : {}),
    ...(typeof agent === 'string' && agent.length > 0 ? { userAgent: agent.slice(0, MAX_FIELD_LENGTH) } : {}),
  };
}
