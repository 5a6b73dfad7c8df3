/**
 * DI token of the validated, defaulted options (`ResolvedAxessOptions`).
 * `Symbol.for` so that a CommonJS and an ESM copy of the package agree on it.
 */
export const AXESS_SESSION_OPTIONS = Symbol.for('@axess/nestjs-session:options');
