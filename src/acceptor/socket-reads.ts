// Socket reads into one reused buffer instead of a fresh one per read.
//
// Node allocates a new 64 KiB ArrayBuffer for every read of a socket it accepted. At produce
// rates that is thousands of external allocations a second, and they drive V8 into major GCs
// (docs/notes/socket-reads.md has the profile and the A/B figures). Node can read into caller
// memory (`onread`), but only for sockets it constructs from options; a server hands out sockets
// it built itself. So the listener accepts paused, and the accepted socket's native handle is
// moved into a new Socket built with `onread`. The husk is destroyed without its handle, which
// also settles the server's connection count.
//
// `_handle` is not public API. When it is missing or not a stream handle the caller keeps the
// accepted socket and reads with 'data' events: slower, never wrong.
import net from 'node:net';

interface StreamHandle {
  readStart(): number;
  readStop(): number;
}

function isStreamHandle(value: unknown): value is StreamHandle {
  return typeof value === 'object' && value !== null
    && typeof (value as StreamHandle).readStart === 'function' && typeof (value as StreamHandle).readStop === 'function';
}

/**
 * Moves a socket accepted with `pauseOnConnect` onto a Socket that reads into `buffer` and calls
 * `onChunk` with each read, synchronously. `buffer` may be shared by every connection of the
 * thread: each read is consumed before the event loop performs the next one, so `onChunk` must be
 * done with the chunk's bytes (or copy them) when it returns. Returns null when the runtime does
 * not allow the move; the accepted socket is then untouched (and still paused).
 */
export function adoptWithReadBuffer(accepted: net.Socket, buffer: Buffer, onChunk: (chunk: Buffer) => void): net.Socket | null {
  const holder = accepted as unknown as { _handle: unknown };
  const handle = holder._handle;
  if (!isStreamHandle(handle) || accepted.destroyed) return null;
  holder._handle = null;
  accepted.destroy();
  return new net.Socket({
    handle: handle as never,
    readable: true,
    writable: true,
    onread: {
      buffer,
      callback: (bytes: number, into: Uint8Array) => {
        onChunk(Buffer.from(into.buffer, into.byteOffset, bytes));
        return true;
      },
    },
  });
}
