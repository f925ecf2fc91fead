// Errors a user can fix (bad config, missing data, bad option): printed as one message, exit 2.

/** A mistake in the user's input. The CLI prints `message` alone (no stack) and exits 2. */
export class UserError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
