import { inspect } from 'node:util';

/**
 * A credential held in memory. It prints, logs and serialises as "[redacted]" so that a
 * stray console.log, pino call or JSON.stringify can never leak it; reveal() is explicit.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}
