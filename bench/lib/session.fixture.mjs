// The one session every scenario stores: a signed-in user with the kind of data apps keep
// (roles, a CSRF token, preferences, a small cart). About 500 bytes once encoded.
import { Packr } from 'msgpackr';

/** Idle timeout every scenario uses for its expiry (ms): one day. */
export const TTL_MS = 24 * 60 * 60 * 1000;

/** The application data of the session. */
export const SESSION_DATA = {
  roles: ['member', 'billing-admin'],
  csrfToken: 'p3Qz8yVvN1cG0rA7sLkT4mWbXe9HdJfU2oIhYgRtE6w',
  tenant: 'acme-industries-eu',
  locale: 'en-GB',
  timezone: 'Europe/Berlin',
  theme: 'dark',
  lastPage: '/projects/4711/settings/members?tab=invites',
  featureFlags: { newEditor: true, betaReports: false, compactLists: true },
  cart: [
    { sku: 'PLAN-TEAM-ANNUAL', qty: 1, priceCents: 119900 },
    { sku: 'ADDON-SSO', qty: 1, priceCents: 24900 },
  ],
  onboardingStep: 4,
};

/** The session record as the product stores it (times fixed so every encoding has the same size). */
export function sessionRecord() {
  return {
    data: structuredClone(SESSION_DATA),
    createdAt: 1_767_225_600_000,
    userId: 'user-000042',
    authenticatedAt: 1_767_225_601_234,
    ip: '203.0.113.77',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  };
}

/** The same record as the positional MessagePack array the product's codec writes. */
export function recordArray(record) {
  return [
    1,
    record.createdAt,
    record.userId ?? null,
    record.authenticatedAt ?? null,
    record.ip ?? null,
    record.userAgent ?? null,
    record.data,
  ];
}

/** The record encoded as the product's codec does (the bytes the raw floor stores). */
export function encodedRecord() {
  return new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true }).pack(recordArray(sessionRecord()));
}

/**
 * The same session as express-session keeps it (its cookie block plus the app's fields at the
 * top level), which connect-redis stores as JSON.
 */
export function expressSessionObject() {
  const record = sessionRecord();
  return {
    cookie: {
      originalMaxAge: TTL_MS,
      expires: new Date(Date.now() + TTL_MS).toISOString(),
      secure: true,
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    },
    ...record.data,
    userId: record.userId,
    createdAt: record.createdAt,
    authenticatedAt: record.authenticatedAt,
    ip: record.ip,
    userAgent: record.userAgent,
  };
}
