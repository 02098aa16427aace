// A transaction marker (issue 13): what the transaction coordinator on the main thread asks a
// partition's owning shard to write when a transaction ends. The shard appends one control batch
// (Kafka's COMMIT or ABORT marker) for the producer, fsynced before it completes, and moves the
// partition's last stable offset past the transaction. Crosses the thread boundary, so it lives here.

export interface TxnMarker {
  producerId: bigint;
  /** The producer epoch the marker is written at; batches of older epochs are fenced after it. */
  producerEpoch: number;
  /** The transaction coordinator's epoch, stored in the marker's value as Kafka does. */
  coordinatorEpoch: number;
  /** COMMIT (true) or ABORT (false). */
  commit: boolean;
}

/** Where the transaction coordinator has markers written: the shard pool, or a test fake. */
export interface TxnMarkerWriter {
  /** Resolves once the marker is durable and published (errorCode NONE), or with the partition's error. */
  writeMarker(shard: number, slot: number, marker: TxnMarker): Promise<{ errorCode: number; errorMessage: string }>;
}
