import { Catch, Inject, Injectable, ServiceUnavailableException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerException,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { createHmac } from 'node:crypto';

/** Name of the throttler (in `ThrottlerModule`'s options) that limits failed sign-ins. */
export const SIGN_IN_THROTTLER = 'sign-in-failures';

/**
 * Failed sign-ins: at most 10 per minute per client ip and 10 per minute per username. After the
 * 10th, that ip or username is blocked for a minute: the next sign-in answers 429, whatever its
 * password.
 */
export const SIGN_IN_FAILURES: ThrottlerOptions = { name: SIGN_IN_THROTTLER, limit: 10, ttl: 60_000, blockDuration: 60_000 };

/** Injection token of the key that turns typed usernames into throttler keys (HMAC, see `trackers`). */
export const SIGN_IN_THROTTLE_KEY = Symbol('SIGN_IN_THROTTLE_KEY');

/** HKDF label of that key. */
export const SIGN_IN_THROTTLE_KEY_INFO = 'axess sample v1 sign-in throttle username HMAC-SHA256';

/** 429 for a sign-in while its ip or username is blocked; says when to try again. */
export class SignInThrottledException extends ThrottlerException {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed sign-ins. Try again later.');
  }
}

/** What the throttle reads from a request (Express and Fastify requests both have these). */
interface SignInRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
}

/**
 * Limits failed sign-ins per client ip and per username with `@nestjs/throttler`'s storage
 * (on the sample's Valkey, so every instance counts the same failures).
 *
 * `ThrottlerGuard` counts every request it sees, successful sign-ins too; here only failures
 * count, so a user who signs in often is never limited by it. The storage has one operation,
 * `increment`, so the throttle keeps two records per ip and per username:
 * - `failures`, incremented once per failed sign-in; the failure that reaches the limit closes
 *   the gate;
 * - `gate`, checked before the password is: an increment whose hits expire at once and whose
 *   limit cannot be reached, so it counts nothing and reports only the block the failure set.
 * While blocked, no password is verified: a right password is refused like a wrong one, and the
 * answer does not tell them apart. Both steps run in the passport strategy, on the username
 * passport-local read (body or query string), so no spelling of the request skips the gate.
 */
@Injectable()
export class SignInThrottle {
  private readonly limit: number;
  private readonly ttlMs: number;
  private readonly blockMs: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @Inject(SIGN_IN_THROTTLE_KEY) private readonly usernameKey: Buffer,
  ) {
    const throttlers = Array.isArray(options) ? options : options.throttlers;
    const throttler = throttlers.find((t) => t.name === SIGN_IN_THROTTLER);
    if (!throttler || typeof throttler.limit !== 'number' || typeof throttler.ttl !== 'number') {
      throw new Error(`ThrottlerModule needs a "${SIGN_IN_THROTTLER}" throttler with a numeric limit and ttl.`);
    }
    this.limit = throttler.limit;
    this.ttlMs = throttler.ttl;
    this.blockMs = typeof throttler.blockDuration === 'number' ? throttler.blockDuration : throttler.ttl;
  }

  /** Throws 429 when the request's ip or username is blocked. Checked before the password. */
  async assertAllowed(req: SignInRequest, username: unknown): Promise<void> {
    // One after the other: a blocked ip is refused before its username's record is touched.
    for (const tracker of this.trackers(req, username)) {
      const gate = await this.backend(() =>
        this.storage.increment(`gate:${tracker}`, 1, Number.MAX_SAFE_INTEGER, this.blockMs, SIGN_IN_THROTTLER),
      );
      if (gate.isBlocked) throw new SignInThrottledException(gate.timeToBlockExpire);
    }
  }

  /**
   * Counts a failed sign-in. The failure that reaches the limit of its ip or username closes
   * that gate for the block duration (it is still answered 401); one over the limit (sign-ins
   * that passed the gate together) throws 429.
   */
  async recordFailure(req: SignInRequest, username: unknown): Promise<void> {
    const over = await Promise.all(
      this.trackers(req, username).map(async (tracker) => {
        const failures = await this.backend(() =>
          this.storage.increment(`failures:${tracker}`, this.ttlMs, this.limit, this.blockMs, SIGN_IN_THROTTLER),
        );
        if (failures.totalHits < this.limit) return false;
        // Limit 0: this increment blocks the gate for blockMs; its own hit expires at once.
        await this.backend(() => this.storage.increment(`gate:${tracker}`, 1, 0, this.blockMs, SIGN_IN_THROTTLER));
        return failures.totalHits > this.limit;
      }),
    );
    if (over.includes(true)) throw new SignInThrottledException(Math.ceil(this.blockMs / 1000));
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

  /** The throttle fails closed: when its storage is unreachable, sign-ins answer 503. */
  private async backend<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new ServiceUnavailableException('Sign-in is unavailable right now.', { cause: error });
    }
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
