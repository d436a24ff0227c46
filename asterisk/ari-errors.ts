/** ARI could not be reached or refused us; the caller decides whether to retry. */
export class AriUnavailableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly status?: number,
  ) {
    super(`ARI at ${url} is unavailable: ${reason}`);
    this.name = 'AriUnavailableError';
  }
}

/** An ARI REST command failed; `status` is the HTTP status when ARI answered. */
export class AriCommandError extends Error {
  constructor(
    readonly operation: string,
    readonly detail: string,
    readonly status?: number,
  ) {
    super(`ARI ${operation} failed: ${detail}`);
    this.name = 'AriCommandError';
  }
}

/** The channel no longer exists (the caller hung up): retrying cannot help. */
export class ChannelGoneError extends AriCommandError {
  constructor(
    operation: string,
    readonly channelId: string,
  ) {
    super(operation, `channel ${channelId} not found`, 404);
    this.name = 'ChannelGoneError';
  }
}
