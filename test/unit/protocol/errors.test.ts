// errorCodeFor: the one mapping from a thrown value to the Kafka error code a client hears.
import { describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError, errorCodeFor, errorMessageFor } from '../../../src/protocol/errors.ts';

function errno(code: string, message = `${code}: failed`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe('errorCodeFor', () => {
  it('gives a KafkaError its own code', () => {
    expect(errorCodeFor(new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(errorCodeFor(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER), ErrorCode.KAFKA_STORAGE_ERROR)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('maps disk errnos to KAFKA_STORAGE_ERROR, also when they are the cause of another error', () => {
    for (const code of ['ENOSPC', 'EIO', 'EROFS', 'EDQUOT']) expect(errorCodeFor(errno(code))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    const wrapped = new Error('partition log orders-0 is offline after a failed write', { cause: errno('EIO') });
    expect(errorCodeFor(wrapped)).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  });

  it('falls back to UNKNOWN_SERVER_ERROR, or the caller\'s fallback, for anything else', () => {
    expect(errorCodeFor(new Error('boom'))).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(errorCodeFor(errno('ENOENT'))).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(errorCodeFor('a string')).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(errorCodeFor(new Error('staging failed'), ErrorCode.KAFKA_STORAGE_ERROR)).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  });

  it('gives the message of an error, and the text of anything else', () => {
    expect(errorMessageFor(errno('ENOSPC', 'ENOSPC: no space left on device, write'))).toBe('ENOSPC: no space left on device, write');
    expect(errorMessageFor(42)).toBe('42');
  });
});
