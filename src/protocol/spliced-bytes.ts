// Bytes a message refers to but does not hold: only their length is known here (a Fetch
// response's record set served from a segment file by sendfile). The Writer always splices them
// by reference, so they reach the connection as a piece of their own, never copied.

/**
 * A zero-byte Uint8Array whose `length` is the length of bytes that live elsewhere. It passes
 * where a generated encoder takes a byte field (records), writes its length prefix, and comes out
 * of Writer.finishChunks() as its own piece; whoever writes the pieces must know the subclass.
 */
export class SplicedBytes extends Uint8Array {
  constructor(length: number) {
    super(0);
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`spliced length ${length} is not a byte count`);
    // An own property shadows the typed array's length getter for every JS reader of the field.
    Object.defineProperty(this, 'length', { value: length, enumerable: false });
  }
}
