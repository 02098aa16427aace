// SCRAM credential management through confluent-kafka's admin client (what kafka-configs.sh
// --entity-type users sends), against Highwater: the new user logs in with SCRAM-SHA-256, the
// errors for a missing deletion and an unknown user are Kafka's. The expected answers are
// Apache Kafka 4.4's for the same script (docs/notes/security.md).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';
import { pythonResult } from './python.ts';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startBroker({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    saslEnabledMechanisms: 'SCRAM-SHA-256,SCRAM-SHA-512',
    scramBootstrapCredentials: 'SCRAM-SHA-512=[name=admin,password=admin-secret]',
    connectionFailedAuthenticationDelayMs: 0,
  });
});
afterAll(async () => { await tb?.destroy(); });

test('AlterUserScramCredentials and DescribeUserScramCredentials through librdkafka, then a login as the new user', async () => {
  const out = await pythonResult<Record<string, unknown>>('scram_credentials.py', ['--bootstrap', tb.bootstrap]);
  expect(out).toEqual({
    alter: { new: null, missing: { code: 'RESOURCE_NOT_FOUND', message: 'Attempt to delete a user credential that does not exist' } },
    describe: {
      new: [{ mechanism: 'SCRAM_SHA_256', iterations: 8192 }],
      // librdkafka hands the message on with a trailing byte it adds; the text is Kafka's.
      ghost: { code: 'RESOURCE_NOT_FOUND', message: expect.stringContaining('Attempt to describe a user credential that does not exist: ghost-carol') },
    },
    login: 'delivered',
    wrong_password: 'refused: invalid credentials',
  });
}, 120_000);
