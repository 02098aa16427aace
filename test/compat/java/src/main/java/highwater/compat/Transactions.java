// The transactions scenario of docs/compat.md for the Java client: consume-transform-produce with
// sendOffsetsToTransaction, one aborted transaction, then read_committed and read_uncommitted
// readers and the group's committed offsets checked.
package highwater.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

final class Transactions {
  static final int INPUT = 300;
  static final int PARTITIONS = 3;
  static final int ABORTED = 10;

  final Driver driver;
  final String input;
  final String output;
  final String group;

  Transactions(Driver driver) {
    this.driver = driver;
    this.input = driver.prefix + "-txn-in";
    this.output = driver.prefix + "-txn-out";
    this.group = driver.prefix + "-txn-group";
  }

  KafkaProducer<String, String> transactional(String id) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, driver.bootstrap);
    props.putAll(Driver.SECURITY);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "highwater-compat-java-txn-" + Driver.CLIENT_SEQUENCE.incrementAndGet());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20000);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return new KafkaProducer<>(props);
  }

  String run() throws Exception {
    try (Admin admin = driver.admin()) {
      driver.createTopic(admin, input, PARTITIONS);
      driver.createTopic(admin, output, PARTITIONS);
    }
    try (KafkaProducer<String, String> plain = driver.producer("all", "none", true)) {
      for (int i = 0; i < INPUT; i++) plain.send(new ProducerRecord<>(input, i % PARTITIONS, Driver.key(i), Driver.value(i)));
      plain.flush();
    }

    int transactions = 0;
    try (KafkaProducer<String, String> producer = transactional(driver.prefix + "-txn");
        KafkaConsumer<String, String> consumer = driver.consumer(group, Map.of(
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50))) {
      producer.initTransactions();
      consumer.subscribe(List.of(input));
      int processed = 0;
      long deadline = System.currentTimeMillis() + 60000;
      while (processed < INPUT) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("processed " + processed + " of " + INPUT + " input records in 60 s");
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) continue;
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, String> record : records) {
          producer.send(new ProducerRecord<>(output, record.partition(), record.key(), record.value() + "-out"));
          offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
          processed++;
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.commitTransaction();
        transactions++;
      }
      // One transaction aborted: its records must stay invisible to read_committed readers.
      producer.beginTransaction();
      for (int i = 0; i < ABORTED; i++) producer.send(new ProducerRecord<>(output, i % PARTITIONS, "aborted-" + i, "aborted"));
      producer.flush();
      producer.abortTransaction();
      // And a committed one after it: a read_committed reader must get past the aborted records.
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(output, 0, "tail", "tail"));
      producer.commitTransaction();
    }

    List<ConsumerRecord<String, String>> committed = readToEnd("read_committed");
    List<ConsumerRecord<String, String>> uncommitted = readToEnd("read_uncommitted");
    checkOutput(committed, false);
    checkOutput(uncommitted, true);

    try (Admin admin = driver.admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS);
      for (int p = 0; p < PARTITIONS; p++) {
        OffsetAndMetadata offset = offsets.get(new TopicPartition(input, p));
        Driver.check("group's committed offset of " + input + "-" + p, offset == null ? -1 : offset.offset(), INPUT / PARTITIONS);
      }
    }
    return INPUT + " records in " + transactions + " transactions (consume-transform-produce + sendOffsetsToTransaction), "
        + ABORTED + " aborted: read_committed " + committed.size() + ", read_uncommitted " + uncommitted.size();
  }

  /** Reads every partition of the output topic from offset 0 to its end for that isolation level. */
  List<ConsumerRecord<String, String>> readToEnd(String isolation) {
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = driver.consumer(null, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation))) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) tps.add(new TopicPartition(output, p));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(20));
      long deadline = System.currentTimeMillis() + 30000;
      while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException(isolation + " reader did not reach " + end + " in 30 s");
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) out.add(record);
      }
    }
    return out;
  }

  static void checkOutput(List<ConsumerRecord<String, String>> records, boolean withAborted) {
    Set<String> seen = new HashSet<>();
    int aborted = 0;
    for (ConsumerRecord<String, String> record : records) {
      if (!seen.add(record.key())) throw new IllegalStateException("key " + record.key() + " read twice");
      if (record.key().startsWith("aborted-")) {
        aborted++;
        continue;
      }
      if (record.key().equals("tail")) continue;
      int i = Integer.parseInt(record.key().substring("key-".length()));
      if (!record.value().equals(Driver.value(i) + "-out")) throw new IllegalStateException("value of " + record.key() + " differs");
      if (record.partition() != i % PARTITIONS) throw new IllegalStateException(record.key() + " in partition " + record.partition());
    }
    String what = withAborted ? "read_uncommitted" : "read_committed";
    Driver.check(what + ": aborted records", aborted, withAborted ? ABORTED : 0);
    Driver.check(what + ": records", records.size(), INPUT + 1 + (withAborted ? ABORTED : 0));
    if (!seen.contains("tail")) throw new IllegalStateException(what + ": committed record after the abort not read");
  }
}
