// What the scrubber thread is given and what it posts back (src/scrubber/worker.ts).

export interface ScrubberInit {
  dataDir: string;
  /** Read rate, bytes per second (the thread sleeps between steps to keep to it). */
  bytesPerSecond: number;
  /** Pause between two full passes over the closed segments. */
  passIntervalMs: number;
}

export type ScrubberMessage =
  | {
    kind: 'damaged';
    topic: string;
    partition: number;
    segment: string;
    segmentBaseOffset: string;
    /** Byte position of the batch in the segment. */
    position: number;
    /** The offsets the batch's header claims (the header may itself be what is damaged). */
    baseOffset: string;
    lastOffset: string;
    reason: string;
  }
  | { kind: 'progress'; bytes: number }
  | { kind: 'pass-done' };
