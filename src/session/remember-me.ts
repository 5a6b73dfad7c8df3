import type { ExecutionContext } from '@nestjs/common';
import type { SessionRecord } from '../codec/session-record.js';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import {
  DEFAULT_REMEMBERED_ABSOLUTE_TIMEOUT_MS,
  DEFAULT_REMEMBERED_IDLE_TIMEOUT_MS,
  type RememberedTimeouts,
} from '../store/session-lifetime.js';

/**
 * Whether a sign-in asked to be remembered, read from its request by `MaxSessionsGuard` and by
 * passport's session mode. `context` is the guard's (`undefined` in passport's session mode).
 */
export type RememberMeReader = (request: unknown, context: ExecutionContext | undefined) => boolean;

/** The module's `rememberMe` option: how long a session signed in with "remember me" lives, and where the choice is read. */
export interface AxessRememberMeOptions {
  /** Sliding idle timeout of a remembered session. Must be ≤ absoluteTimeoutMs. @default 604_800_000 (7 d) */
  idleTimeoutMs?: number;
  /** Absolute lifetime of a remembered session (its cookie persists until then). @default 2_592_000_000 (30 d, NIST AAL1) */
  absoluteTimeoutMs?: number;
  /**
   * Reads the sign-in's choice from the request (`MaxSessionsGuard`, passport session mode).
   * @default a GraphQL resolver's `rememberMe` argument, else the body field `rememberMe` (`true`, or a form checkbox's `"on"`/`"true"`)
   */
  from?: RememberMeReader;
}

/** `rememberMe` after validation. */
export interface RememberMeSettings extends RememberedTimeouts {
  from: RememberMeReader;
}

// A checkbox posts "on" (or its value attribute); a JSON client sends true.
const YES = new Set<unknown>([true, 'true', 'on']);

/** The default {@link RememberMeReader}. */
export const defaultRememberMeFrom: RememberMeReader = (request, context) => {
  if (context?.getType<string>() === 'graphql') {
    const args = context.getArgs<[unknown, { rememberMe?: unknown } | undefined]>()[1];
    return args?.rememberMe === true;
  }
  const body = (request as { body?: unknown } | null | undefined)?.body;
  return typeof body === 'object' && body !== null && YES.has((body as { rememberMe?: unknown }).rememberMe);
};

/** Validates `rememberMe` (timeouts whole ms ≥ 1, idle ≤ absolute, `from` a function) and fills in defaults. */
export function resolveRememberMe(given: unknown, positiveInteger: (option: string, value: unknown) => number): RememberMeSettings {
  if (given === undefined || given === null) given = {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new AxessOptionsError('rememberMe', 'must be an object: { idleTimeoutMs?, absoluteTimeoutMs?, from? }.');
  }
  const { idleTimeoutMs, absoluteTimeoutMs, from } = given as AxessRememberMeOptions;
  const idle = positiveInteger('rememberMe.idleTimeoutMs', idleTimeoutMs ?? DEFAULT_REMEMBERED_IDLE_TIMEOUT_MS);
  const absolute = positiveInteger('rememberMe.absoluteTimeoutMs', absoluteTimeoutMs ?? DEFAULT_REMEMBERED_ABSOLUTE_TIMEOUT_MS);
  if (absolute < idle)
    throw new AxessOptionsError('rememberMe.absoluteTimeoutMs', `must be at least rememberMe.idleTimeoutMs (${idle} ms).`);
  if (from !== undefined && from !== null && typeof from !== 'function') {
    throw new AxessOptionsError('rememberMe.from', 'must be a function (request, context) => boolean.');
  }
  const read = from ?? defaultRememberMeFrom;
  // Anything but `true` is "no": a reader returning a truthy string must not make sessions live 30 days by accident.
  return { idleTimeoutMs: idle, absoluteTimeoutMs: absolute, from: (request, context) => read(request, context) === true };
}

/**
 * Whether the session a sign-in creates is remembered: the sign-in's own choice when it made one;
 * else a re-sign-in (or a confirmation) keeps the session's, and a new sign-in is not remembered.
 */
export function rememberedAfterLogin(choice: boolean | undefined, resign: boolean, previous: SessionRecord | undefined): boolean {
  if (choice !== undefined) return choice;
  return resign && previous?.remembered === true;
}
