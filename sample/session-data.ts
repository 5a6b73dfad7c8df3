/**
 * The sample's session data, declared once: `session.get('csrf')` is then typed `string`, and
 * storing anything else under that key does not compile.
 */
declare module '@axess/nestjs-session' {
  interface AxessSessionData {
    /** The per-session CSRF token of the signed-in pages' forms. */
    csrf: string;
  }
}

export {};
