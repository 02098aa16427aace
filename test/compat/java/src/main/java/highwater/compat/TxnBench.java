// Transactional produce throughput (bench/transactions.sh): a count-based producer run with the
// Java client, either idempotent (no transactions) or transactional with a fixed number of records
// per transaction, acks=all. Prints one JSON line with the records/s and MiB/s measured from the
// first send to the last acknowledgement (transactional: the last commitTransaction).
//
//   run-class.sh TxnBench BOOTSTRAP TOPIC MODE RECORDS RECORD_BYTES [TXN_RECORDS]
//   MODE = idempotent | transactional
package highwater.compat;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class TxnBench {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String mode = args[2];
    int records = Integer.parseInt(args[3]);
    int recordBytes = Integer.parseInt(args[4]);
    int perTxn = args.length > 5 ? Integer.parseInt(args[5]) : 0;
    boolean transactional = mode.equals("transactional");
    if (!transactional && !mode.equals("idempotent")) throw new IllegalArgumentException("mode: idempotent or transactional");

    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(adminProps)) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
      Driver.waitForLeaders(admin, topic, 3);
    } catch (java.util.concurrent.ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) throw e;
    }

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "highwater-txn-bench");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120000);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    if (transactional) props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-bench");

    byte[] value = new byte[recordBytes];
    for (int i = 0; i < value.length; i++) value[i] = (byte) ('a' + i % 26);
    AtomicReference<Exception> failure = new AtomicReference<>();
    int transactions = 0;
    long started;
    long finished;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      if (transactional) producer.initTransactions();
      started = System.nanoTime();
      for (int sent = 0; sent < records; ) {
        int chunk = transactional ? Math.min(perTxn, records - sent) : records;
        if (transactional) producer.beginTransaction();
        for (int i = 0; i < chunk; i++) {
          producer.send(new ProducerRecord<>(topic, value), (metadata, error) -> {
            if (error != null) failure.compareAndSet(null, error);
          });
        }
        sent += chunk;
        if (transactional) {
          producer.commitTransaction();
          transactions++;
        } else {
          producer.flush();
        }
        if (failure.get() != null) throw failure.get();
      }
      finished = System.nanoTime();
    }
    double seconds = (finished - started) / 1e9;
    System.out.printf("{\"mode\":\"%s\",\"records\":%d,\"recordBytes\":%d,\"perTxn\":%d,\"transactions\":%d,"
        + "\"seconds\":%.3f,\"recordsPerSec\":%.0f,\"mibPerSec\":%.2f}%n",
        mode, records, recordBytes, perTxn, transactions, seconds, records / seconds,
        (double) records * recordBytes / seconds / (1024 * 1024));
    System.exit(0);
  }
}
