import type { ServerResponse } from 'node:http';

/** `Clear-Site-Data` value of a logout: the browser drops the site's cookies (ASVS 5.0 7.4.x). */
export const CLEAR_SITE_COOKIES = '"cookies"';

/**
 * The headers the library adds so that signed-in responses stay out of caches and a logout
 * clears the browser's cookies (module options `noStoreAuthenticated`, `clearSiteDataOnLogout`).
 * Provided by the module; the defaults apply where it is built without one.
 */
export class ResponseCachePolicy {
  constructor(
    /** `Cache-Control: no-store` on every response of a request whose session is signed in. */
    readonly noStoreAuthenticated = true,
    /** `Clear-Site-Data: "cookies"` on the response that clears the cookie of a logged-out session. */
    readonly clearSiteDataOnLogout = false,
  ) {}
}

/** The policy of a committer or middleware built without the module's. */
export const DEFAULT_RESPONSE_CACHE_POLICY = new ResponseCachePolicy();

/** Presets `Cache-Control: no-store` before the handler, so a header the app sets later replaces it. */
export function presetNoStore(res: ServerResponse): void {
  if (!res.hasHeader('cache-control')) res.setHeader('cache-control', 'no-store');
}
