/** The kinds of session event `AxessSessionEvents` delivers. */
export type AxessSessionEventType = 'created' | 'authenticated' | 'evicted' | 'revoked' | 'logged-out' | 'expired-on-access' | 'rejected';

/** What every session event carries. */
export interface AxessSessionEventBase<T extends AxessSessionEventType = AxessSessionEventType> {
  /** The kind of event. */
  type: T;
  /** The user the session was bound to, when known. */
  userId?: string;
  /** The session concerned, when known (never for a cookie whose signature failed). */
  sessionId?: string;
  /** Why it happened, e.g. `evicted:newer-sign-in`, `revoked`, `bad-signature`, `undecryptable`. */
  reason: string;
  /** When it happened, from the module's Clock (of the instance where it happened). */
  at: Date;
  /** `true` for an event of another instance, learnt through Valkey pub/sub; absent for this instance's. */
  remote?: true;
}

/** A session evicted by a newer sign-in of the same user beyond the cap. */
export interface AxessSessionEvictedEvent extends AxessSessionEventBase<'evicted'> {
  /** The new session whose admission caused the eviction. */
  bySessionId: string;
}

/** A session event of type `T`. */
export type AxessSessionEventOf<T extends AxessSessionEventType> = T extends 'evicted'
  ? AxessSessionEvictedEvent
  : AxessSessionEventBase<T>;

/** Any session event. */
export type AxessSessionEvent = { [T in AxessSessionEventType]: AxessSessionEventOf<T> }[AxessSessionEventType];

/** Marker and event reasons the library uses. */
export const SessionEndReason = {
  /** Evicted because a newer sign-in of the same user went over the cap. */
  evicted: 'evicted:newer-sign-in',
  /** Revoked through `revokeSession`, `revokeOthers` or `revokeAll`. */
  revoked: 'revoked',
  /** Revoked by `revokeEveryone`: its one event names no session and ends every session the listener knows of. */
  revokedEveryone: 'revoked:everyone',
  /** Logged out by its own request. */
  loggedOut: 'logged-out',
  /** Past its absolute timeout when a request came. */
  absoluteTimeout: 'expired:absolute-timeout',
  /** Found expired when its cookie came back, with no marker saying why (idle timeout, or an id a rotation replaced). */
  idleTimeout: 'expired:idle-timeout',
  /** Found gone by a check against the store (e.g. of an open WebSocket), with no marker saying why. */
  ended: 'ended',
} as const;

/** The events instances tell each other through Valkey: sign-ins and every way a session ends. */
export const RELAYED_EVENT_TYPES: ReadonlySet<AxessSessionEventType> = new Set<AxessSessionEventType>([
  'authenticated',
  'evicted',
  'revoked',
  'logged-out',
  'expired-on-access',
]);

/** The events that end a session. */
export const ENDING_EVENT_TYPES: ReadonlySet<AxessSessionEventType> = new Set<AxessSessionEventType>([
  'evicted',
  'revoked',
  'logged-out',
  'expired-on-access',
]);
