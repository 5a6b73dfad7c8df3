/**
 * Base class of every error the library throws on purpose.
 * Catch `AxessError` to handle them all; each subclass has a stable `name`.
 */
export abstract class AxessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
