// Tiered storage's topic configs are checked as Kafka's LogConfig checks them (validateTopicLogConfigValues).
import { describe, expect, it } from 'vitest';
import { validateTopicConfig, validateTopicConfigSet } from '../../../src/metadata/topic-configs.ts';

const on = { remoteStorageSystemEnabled: true };

describe('tiered storage topic configs', () => {
  it('takes Kafka\'s names and ranges', () => {
    expect(validateTopicConfig('remote.storage.enable', 'true')).toBeNull();
    expect(validateTopicConfig('local.retention.ms', '-2')).toBeNull();
    expect(validateTopicConfig('local.retention.bytes', '-3')).toBe('Invalid value -3 for configuration local.retention.bytes: Value must be at least -2');
  });

  it('refuses remote storage when the broker has no object store', () => {
    expect(validateTopicConfigSet({ 'remote.storage.enable': 'true' })).toBe('Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.');
    expect(validateTopicConfigSet({ 'remote.storage.enable': 'true' }, {}, on)).toBeNull();
  });

  it('refuses remote storage for compacted topics', () => {
    expect(validateTopicConfigSet({ 'remote.storage.enable': 'true', 'cleanup.policy': 'compact,delete' }, {}, on)).toBe('Remote log storage is unsupported for the compacted topics');
  });

  it('refuses local retention above the total, or -1 under a finite total', () => {
    expect(validateTopicConfigSet({ 'remote.storage.enable': 'true', 'retention.ms': '1000', 'local.retention.ms': '2000' }, {}, on))
      .toBe('Invalid value 2000 for configuration local.retention.ms: Value must not be more than retention.ms property value: 1000');
    expect(validateTopicConfigSet({ 'remote.storage.enable': 'true', 'retention.bytes': '1000', 'local.retention.bytes': '-1' }, {}, on))
      .toBe('Invalid value -1 for configuration local.retention.bytes: Value must not be -1 as retention.bytes value is set as 1000.');
    expect(validateTopicConfigSet({ 'remote.storage.enable': 'true', 'retention.bytes': '1000', 'local.retention.bytes': '500' }, {}, on)).toBeNull();
    // -1 total: anything goes locally.
    expect(validateTopicConfigSet({ 'remote.storage.enable': 'true', 'retention.ms': '-1', 'local.retention.ms': '5' }, {}, on)).toBeNull();
  });

  it('refuses turning remote storage off', () => {
    expect(validateTopicConfigSet({ 'remote.storage.enable': 'false' }, {}, { ...on, existing: { 'remote.storage.enable': 'true' } })).toMatch(/^It is invalid to disable remote storage without deleting remote data/);
  });
});
