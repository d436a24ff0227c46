import { Transform, type Readable } from 'node:stream';

export class UploadStalledError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UploadStalledError';
  }
}

export interface UploadLimits {
  /** No byte for this long ends the upload. */
  idleMs: number;
  /** The whole upload may take at most this long. */
  totalMs: number;
}

/**
 * Passes an upload through, failing it when the client goes quiet for `idleMs` or
 * the upload outlasts `totalMs`: a client that trickles a body cannot hold a request, and what it holds,
 * forever.
 */
export function guardUpload(source: Readable, limits: UploadLimits): Transform {
  let idle: NodeJS.Timeout | undefined;
  const fail = (reason: string) => {
    // The source is left alone (destroying it would take the socket before the 408 is sent); the answer
    // closes the connection.
    source.unpipe(guarded);
    source.pause();
    guarded.destroy(new UploadStalledError(reason));
  };
  const rearm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => fail(`no data for ${limits.idleMs / 1000} s: upload abandoned`), limits.idleMs);
  };
  const total = setTimeout(
    () => fail(`the upload took longer than ${limits.totalMs / 1000} s`),
    limits.totalMs,
  );
  const guarded = new Transform({
    transform(chunk, _encoding, done) {
      rearm();
      done(null, chunk);
    },
  });
  const stop = () => {
    clearTimeout(idle);
    clearTimeout(total);
  };
  guarded.on('close', stop);
  source.on('error', (err) => guarded.destroy(err));
  rearm();
  return source.pipe(guarded);
}
