// The sendfile addon (native/sendfile, built at install by scripts/build-native.sh), loaded once on
// the main thread. Connections use it to write Fetch responses whose record sets are FileRanges;
// without it (not built, not Linux, or turned off with --fetch-sendfile false) every response is
// written by Node, and the fetch handler reads record bytes into Buffers as before.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A piece of a response: bytes in memory, or [file fd, position, length]. */
export type SendPiece = Uint8Array | [fd: number, position: number, length: number];

export interface FileSender {
  /**
   * Writes the pieces in order to the socket with descriptor `fd` on the addon's sender thread (on
   * dups of the socket and file descriptors, made before this returns: the caller may close its
   * files at once). `done(errno, bytesSent)` comes on the main thread; errno 0 is success.
   * The caller must keep every other write off the socket until then.
   */
  submit(fd: number, pieces: SendPiece[], done: (errno: number, bytesSent: number) => void): number;
  /** Fails a job still running with ECANCELED (its done still comes); nothing once it is done. */
  cancel(id: number): void;
}

export const ADDON_PATH = fileURLToPath(new URL('../../native/sendfile/build/sendfile.node', import.meta.url));

/** ECANCELED on Linux: a job cancelled because its connection closed. */
export const ECANCELED = 125;

/** File jobs submitted on this thread, and the bytes the finished ones sent (tests read them). */
export const fileSendCounters = { jobs: 0, bytes: 0 };

let loaded: { sender: FileSender } | { reason: string } | undefined;

/** The addon, or why there is none; loaded once per thread. */
export function loadFileSender(path = ADDON_PATH): { sender: FileSender } | { reason: string } {
  if (path === ADDON_PATH && loaded) return loaded;
  let result: { sender: FileSender } | { reason: string };
  if (process.platform !== 'linux') {
    result = { reason: `not on Linux (${process.platform})` };
  } else {
    try {
      const addon = createRequire(import.meta.url)(path) as Partial<FileSender>;
      result = typeof addon.submit === 'function' && typeof addon.cancel === 'function'
        ? { sender: addon as FileSender }
        : { reason: `${path} is not the sendfile addon` };
    } catch (err) {
      result = { reason: (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? `${path} was not built (scripts/build-native.sh)` : (err as Error).message };
    }
  }
  if (path === ADDON_PATH) loaded = result;
  return result;
}

/** The socket's file descriptor when Node exposes one (a TCP handle on Unix); else -1. */
export function socketFd(socket: object): number {
  if ((socket as { encrypted?: boolean }).encrypted) return -1; // TLS: the bytes must go through Node's TLS stream
  const fd = (socket as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}
