import {
  Catch,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  ServiceUnavailableException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { normalizeIp } from '@nestjs/throttler';
import { createHmac } from 'node:crypto';
import { SignInAttempts } from './sign-in-attempts';

/**
 * Sign-ins that do not succeed: at most 10 per minute per client ip and 10 per minute per
 * username. Once an ip or a username has used its 10, its sign-ins answer 429 for a minute,
 * whatever their password.
 */
export const SIGN_IN_LIMIT = { limit: 10, windowMs: 60_000 } as const;

/** Injection token of the key that turns typed usernames into throttle keys (HMAC, see `trackers`). */
export const SIGN_IN_THROTTLE_KEY = Symbol('SIGN_IN_THROTTLE_KEY');

/** HKDF label of that key. */
export const SIGN_IN_THROTTLE_KEY_INFO = 'axess sample v1 sign-in throttle username HMAC-SHA256';

/** 429 for a sign-in while its ip or username has no slot left; says when to try again. */
export class SignInThrottledException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed sign-ins. Try again later.', HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** 503 for a sign-in while the throttle's storage does not answer (it fails closed). */
export class SignInUnavailableException extends ServiceUnavailableException {
  constructor(cause: unknown) {
    super('Sign-in is unavailable right now.', { cause });
  }
}

/** What the throttle reads from a request (Express and Fastify requests both have these). */
interface SignInRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** A sign-in attempt that holds its slots; `succeeded()` gives them back. */
export interface SignInReservation {
  succeeded(): Promise<void>;
}

/**
 * Limits sign-ins that do not succeed, per client ip and per username, on the sample's Valkey
 * (every instance counts the same attempts; in memory with the in-memory fallback).
 *
 * An attempt reserves a slot of its ip, then of its username, before its password is verified:
 * each reservation is one atomic step (a Lua script on one key) that refuses at the limit. So
 * attempts that arrive together are counted as they arrive, and at most 10 passwords per ip and
 * per username are verified in a minute, however many attempts arrive at once. A successful
 * sign-in gives its slots back: a user who signs in often is never limited. A refused attempt
 * verifies no password: a right password is refused like a wrong one, and the answer does not
 * tell them apart. The JSON API, the sign-in form and the GraphQL `login` mutation all go
 * through the passport strategy that calls this, so they share the counts.
 */
@Injectable()
export class SignInThrottle {
  constructor(
    private readonly attempts: SignInAttempts,
    @Inject(SIGN_IN_THROTTLE_KEY) private readonly usernameKey: Buffer,
  ) {}

  /** Takes the attempt's slots, or throws 429 (no slot left) or 503 (the storage does not answer). */
  async reserve(req: SignInRequest, username: unknown): Promise<SignInReservation> {
    const taken: string[] = [];
    // One after the other: a refused ip touches no username count.
    for (const tracker of this.trackers(req, username)) {
      let slot;
      try {
        slot = await this.attempts.reserve(tracker, SIGN_IN_LIMIT.limit, SIGN_IN_LIMIT.windowMs);
      } catch (error) {
        await this.release(taken);
        throw new SignInUnavailableException(error);
      }
      if (!slot.allowed) {
        // The attempt goes no further: the slot its ip took is not spent.
        await this.release(taken);
        throw new SignInThrottledException(Math.max(1, Math.ceil(slot.retryAfterMs / 1000)));
      }
      taken.push(tracker);
    }
    return { succeeded: () => this.release(taken) };
  }

  /** Best effort: a slot that cannot be given back expires with its window. */
  private async release(trackers: string[]): Promise<void> {
    await Promise.all(trackers.map((tracker) => this.attempts.release(tracker).catch(() => undefined)));
  }

  /**
   * `ip:<address>` (the socket's peer, or what a trusted proxy reports when TRUST_PROXY is set;
   * IPv6 by /64) and, for a string username, `user:<HMAC of it>`: what people type as a username
   * (sometimes their password) is not kept in Valkey key names.
   */
  private trackers(req: SignInRequest, username: unknown): string[] {
    const ip = normalizeIp(req.ip ?? req.socket?.remoteAddress ?? 'unknown');
    const trackers = [`ip:${ip}`];
    if (typeof username === 'string') {
      trackers.push(`user:${createHmac('sha256', this.usernameKey).update(username, 'utf8').digest('base64url')}`);
    }
    return trackers;
  }
}

/** The JSON API's 429: Nest's error body plus a `Retry-After` header. */
@Catch(SignInThrottledException)
@Injectable()
export class SignInThrottledFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: SignInThrottledException, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const response = host.switchToHttp().getResponse<unknown>();
    adapter.setHeader(response, 'Retry-After', String(exception.retryAfterSeconds));
    adapter.reply(response, { statusCode: exception.getStatus(), message: exception.message }, exception.getStatus());
  }
}
