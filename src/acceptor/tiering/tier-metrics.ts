// Tiered storage metrics (docs/operations.md): uploads, upload lag, remote fetches, the chunk
// cache, errors by kind. Bumped once per segment, object request or partition check, never per record.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class TierMetrics {
  readonly uploadedBytes: Counter;
  readonly uploadedSegments: Counter;
  readonly uploadLagBytes: Gauge<'topic' | 'partition'>;
  readonly uploadLagOffsets: Gauge<'topic' | 'partition'>;
  readonly remoteFetchBytes: Counter;
  readonly remoteFetchSeconds: Histogram;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly errors: Counter<'operation' | 'kind'>;
  readonly deletedSegments: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.uploadedBytes = new Counter({ name: 'highwater_remote_upload_bytes_total', help: 'Bytes of segment files and indexes uploaded to the object store', registers });
    this.uploadedSegments = new Counter({ name: 'highwater_remote_upload_segments_total', help: 'Segments uploaded and recorded remote', registers });
    this.uploadLagBytes = new Gauge({ name: 'highwater_remote_upload_lag_bytes', help: 'Bytes of rolled local segments not yet remote, per partition', labelNames: ['topic', 'partition'], registers });
    this.uploadLagOffsets = new Gauge({ name: 'highwater_remote_upload_lag_offsets', help: 'Offsets in rolled local segments not yet remote, per partition', labelNames: ['topic', 'partition'], registers });
    this.remoteFetchBytes = new Counter({ name: 'highwater_remote_fetch_bytes_total', help: 'Record bytes served by Fetch from the object store', registers });
    this.remoteFetchSeconds = new Histogram({ name: 'highwater_remote_fetch_seconds', help: 'Time of object-store reads (ranged GETs) made by the fetch path', buckets: [0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.cacheHits = new Counter({ name: 'highwater_remote_chunk_cache_hits_total', help: 'Remote chunk reads served by the chunk cache', registers });
    this.cacheMisses = new Counter({ name: 'highwater_remote_chunk_cache_misses_total', help: 'Remote chunk reads that went to the object store', registers });
    this.errors = new Counter({ name: 'highwater_remote_errors_total', help: 'Object-store operations that failed, by operation (upload, delete, list, fetch) and kind (unavailable, throttled, not-found, denied, invalid, local)', labelNames: ['operation', 'kind'], registers });
    this.deletedSegments = new Counter({ name: 'highwater_remote_deleted_segments_total', help: 'Remote segments whose objects were deleted (retention, DeleteRecords, topic deletion)', registers });
  }
}
