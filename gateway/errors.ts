/** Thrown by handlers for a resource the caller's tenant does not have; the error handler answers 404. */
export class NotFoundError extends Error {
  readonly statusCode = 404;
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} not found`);
    this.name = 'NotFoundError';
  }
}

export class UnauthorizedError extends Error {
  readonly statusCode = 401;
  constructor(message = 'missing or invalid API key: send Authorization: Bearer <key>') {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends Error {
  readonly statusCode = 403;
  constructor(
    readonly role: string,
    readonly allowed: readonly string[],
    reason?: string,
  ) {
    super(reason ?? `role ${role} may not do this; allowed: ${allowed.join(', ')}`);
    this.name = 'ForbiddenError';
  }
}

/** Input that is well-formed but wrong against what is stored, e.g. a version that was never published. */
export class InvalidFieldError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'InvalidFieldError';
  }
}

/** The client sent its request too slowly (a stalled upload): 408, and the connection is closed. */
export class RequestTimeoutError extends Error {
  readonly statusCode = 408;
  constructor(reason: string) {
    super(reason);
    this.name = 'RequestTimeoutError';
  }
}

/** Too many of one kind of request at once, or too often: 429 with Retry-After. */
export class TooManyRequestsError extends Error {
  readonly statusCode = 429;
  constructor(
    reason: string,
    readonly retryAfterSec: number,
  ) {
    super(reason);
    this.name = 'TooManyRequestsError';
  }
}
