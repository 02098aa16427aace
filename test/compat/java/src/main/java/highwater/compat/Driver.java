// Compatibility driver for the Java client (kafka-clients): runs the shared scenarios of
// docs/compat.md against one broker and prints "PASS|FAIL|SKIP <scenario>[: detail]" per scenario.
package highwater.compat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class Driver {
  static final int RECORDS = 5000;
  static final int PARTITIONS = 3;
  static final int GROUP_PARTITIONS = 4;
  static final int GROUP_RECORDS_PER_PARTITION = 100;
  static final long GROUP_COMMIT_OFFSET = 50;
  static final int LONG_POLL_MAX_WAIT_MS = 5000;
  static final String PAD = "0123456789".repeat(8);
  static final List<String> ALL = List.of("metadata", "produce-consume-none", "produce-consume-gzip",
      "produce-consume-snappy", "produce-consume-lz4", "produce-consume-zstd", "list-offsets",
      "idempotent", "long-poll", "transactions", "group-resume-1");

  static final class Skip extends RuntimeException {
    Skip(String why) { super(why); }
  }

  /** Distinct client ids: a broker's request log then tells the Java client's connections apart. */
  static final AtomicLong CLIENT_SEQUENCE = new AtomicLong();

  final String bootstrap;
  final String prefix;

  Driver(String bootstrap, String prefix) {
    this.bootstrap = bootstrap;
    this.prefix = prefix;
  }

  public static void main(String[] args) {
    String bootstrap = "127.0.0.1:9092";
    String scenario = "all";
    String prefix = "compat-java";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--bootstrap" -> bootstrap = args[i + 1];
        case "--scenario" -> scenario = args[i + 1];
        case "--topic-prefix" -> prefix = args[i + 1];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.println("VERSION kafka-clients " + clientVersion());
    Driver driver = new Driver(bootstrap, prefix);
    List<String> scenarios = scenario.equals("all") ? ALL : Arrays.asList(scenario.split(","));
    for (String name : scenarios) {
      try {
        String detail = driver.run(name);
        System.out.println("PASS " + name + (detail == null ? "" : ": " + detail));
      } catch (Skip skip) {
        System.out.println("SKIP " + name + ": " + skip.getMessage());
      } catch (Throwable failure) {
        System.out.println("FAIL " + name + ": " + describe(failure));
      }
      System.out.flush();
    }
    // Client threads (metadata refresh, heartbeats) must not keep a finished driver alive.
    System.exit(0);
  }

  /** One line: the failure and its causes, so a wrapped client error still says what went wrong. */
  static String describe(Throwable failure) {
    StringBuilder line = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (line.length() > 0) line.append(" <- ");
      line.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
    }
    return line.toString().replace('\n', ' ');
  }

  /** Read from the jar's own resource: AppInfoParser moved to an internal package in 4.4. */
  static String clientVersion() {
    try (var in = KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
      Properties props = new Properties();
      props.load(in);
      return props.getProperty("version", "unknown");
    } catch (Exception e) {
      return "unknown";
    }
  }

  String run(String scenario) throws Exception {
    if (scenario.startsWith("produce-consume-")) {
      return produceConsume(scenario.substring("produce-consume-".length()));
    }
    return switch (scenario) {
      case "metadata" -> metadata();
      case "list-offsets" -> listOffsets();
      case "idempotent" -> idempotent();
      case "long-poll" -> longPoll();
      case "transactions" -> new Transactions(this).run();
      case "group-resume-1" -> groupResumeCommit();
      case "group-resume-2" -> groupResumeCheck();
      default -> throw new Skip("unknown scenario");
    };
  }

  // ---- clients ----

  /** Client settings for the runner's security mode (test/compat/run.ts --security), from the environment. */
  static final Map<String, Object> SECURITY = security();

  static Map<String, Object> security() {
    Map<String, Object> out = new java.util.HashMap<>();
    String protocol = System.getenv("COMPAT_SECURITY_PROTOCOL");
    if (protocol == null || protocol.isEmpty()) return out;
    out.put("security.protocol", protocol);
    String mechanism = System.getenv("COMPAT_SASL_MECHANISM");
    if (mechanism != null && !mechanism.isEmpty()) {
      out.put("sasl.mechanism", mechanism);
      String module = mechanism.startsWith("SCRAM") ? "org.apache.kafka.common.security.scram.ScramLoginModule"
          : "org.apache.kafka.common.security.plain.PlainLoginModule";
      out.put("sasl.jaas.config", module + " required username=\"" + System.getenv("COMPAT_SASL_USERNAME")
          + "\" password=\"" + System.getenv("COMPAT_SASL_PASSWORD") + "\";");
    }
    String ca = System.getenv("COMPAT_SSL_CA_FILE");
    if (ca != null && !ca.isEmpty()) {
      out.put("ssl.truststore.type", "PEM");
      out.put("ssl.truststore.location", ca);
    }
    return out;
  }


  Admin admin() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.putAll(SECURITY);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "highwater-compat-java-admin");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20000);
    return Admin.create(props);
  }

  KafkaProducer<String, String> producer(String acks, String codec, boolean idempotent) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.putAll(SECURITY);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "highwater-compat-java-producer-" + CLIENT_SEQUENCE.incrementAndGet());
    props.put(ProducerConfig.ACKS_CONFIG, acks);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotent);
    // Kafka answers NOT_LEADER_OR_FOLLOWER for a moment after CreateTopics returns; a retried
    // batch overtakes the next one unless only one request is in flight (or idempotence is on).
    if (!idempotent) props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20000);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return new KafkaProducer<>(props);
  }

  KafkaConsumer<String, String> consumer(String groupId, Map<String, Object> extra) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.putAll(SECURITY);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "highwater-compat-java-consumer-" + CLIENT_SEQUENCE.incrementAndGet());
    if (groupId != null) props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.putAll(extra);
    return new KafkaConsumer<>(props);
  }

  void createTopic(Admin admin, String topic, int partitions) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(20, TimeUnit.SECONDS);
    waitForLeaders(admin, topic, partitions);
  }

  static void waitForLeaders(Admin admin, String topic, int partitions) throws Exception {
    long deadline = System.currentTimeMillis() + 15000;
    while (true) {
      try {
        TopicDescription description =
            admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        if (description.partitions().size() == partitions
            && description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          // Kafka's leader learns of a new partition a moment after CreateTopics returns and
          // until then answers NOT_LEADER_OR_FOLLOWER: an acks=0 record sent then is dropped
          // without a word. A partition that answers ListOffsets is ready.
          Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
          for (int p = 0; p < partitions; p++) latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
          admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
          return;
        }
      } catch (Exception notYet) {
        if (System.currentTimeMillis() > deadline) throw notYet;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(topic + " has no leader for every partition after 15 s");
      }
      Thread.sleep(100);
    }
  }

  // ---- the records every driver writes and checks ----

  static String key(int i) { return "key-" + i; }

  static String value(int i) { return "value-" + i + "-" + PAD; }

  static List<Header> headers(int i) {
    return List.of(new RecordHeader("index", Integer.toString(i).getBytes(StandardCharsets.UTF_8)),
        new RecordHeader("client", "java".getBytes(StandardCharsets.UTF_8)));
  }

  void produce(KafkaProducer<String, String> producer, String topic, int count, int partitions)
      throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      acks.add(producer.send(new ProducerRecord<>(topic, i % partitions, null, key(i), value(i), headers(i))));
    }
    producer.flush();
    for (Future<RecordMetadata> ack : acks) ack.get(30, TimeUnit.SECONDS);
  }

  /** Reads every partition from offset 0 until `count` records arrived or 30 s passed. */
  Map<Integer, List<ConsumerRecord<String, String>>> consumeAll(String topic, int count, int partitions) {
    Map<Integer, List<ConsumerRecord<String, String>>> byPartition = new HashMap<>();
    try (KafkaConsumer<String, String> consumer = consumer(null, Map.of())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      int received = 0;
      long deadline = System.currentTimeMillis() + 30000;
      while (received < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          byPartition.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(record);
          received++;
        }
      }
    }
    return byPartition;
  }

  /** Every record exactly once, in order per partition, with key, value and headers intact. */
  static void verify(Map<Integer, List<ConsumerRecord<String, String>>> byPartition, int count, int partitions) {
    int total = 0;
    for (int p = 0; p < partitions; p++) {
      List<ConsumerRecord<String, String>> records = byPartition.getOrDefault(p, List.of());
      int expectedInPartition = (count - p + partitions - 1) / partitions;
      if (records.size() != expectedInPartition) {
        throw new IllegalStateException("partition " + p + ": " + records.size() + " records, expected "
            + expectedInPartition);
      }
      for (int j = 0; j < records.size(); j++) {
        ConsumerRecord<String, String> record = records.get(j);
        int i = j * partitions + p;
        if (record.offset() != j) {
          throw new IllegalStateException("partition " + p + ": record " + j + " has offset " + record.offset());
        }
        if (!key(i).equals(record.key()) || !value(i).equals(record.value())) {
          throw new IllegalStateException("partition " + p + " offset " + j + ": key/value " + record.key()
              + " differs from record " + i);
        }
        List<Header> got = Arrays.asList(record.headers().toArray());
        List<Header> want = headers(i);
        boolean same = got.size() == want.size();
        for (int h = 0; same && h < want.size(); h++) {
          same = got.get(h).key().equals(want.get(h).key())
              && Arrays.equals(got.get(h).value(), want.get(h).value());
        }
        if (!same) throw new IllegalStateException("partition " + p + " offset " + j + ": headers differ");
      }
      total += records.size();
    }
    if (total != count) throw new IllegalStateException(total + " records read, expected " + count);
  }

  // ---- scenarios ----

  String metadata() throws Exception {
    String topic = prefix + "-meta";
    try (Admin admin = admin()) {
      int brokers = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
      if (brokers < 1) throw new IllegalStateException("no brokers in DescribeCluster");
      createTopic(admin, topic, PARTITIONS);
      try (KafkaProducer<String, String> producer = producer("all", "none", false)) {
        List<PartitionInfo> partitions = producer.partitionsFor(topic);
        if (partitions.size() != PARTITIONS) {
          throw new IllegalStateException("Metadata shows " + partitions.size() + " partitions");
        }
      }
      if (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
        throw new IllegalStateException("ListTopics does not show " + topic);
      }
      admin.deleteTopics(List.of(topic)).all().get(20, TimeUnit.SECONDS);
      long deadline = System.currentTimeMillis() + 15000;
      while (admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException(topic + " still listed after delete");
        Thread.sleep(100);
      }
      return brokers + " broker(s); create, describe, list, delete";
    }
  }

  String produceConsume(String codec) throws Exception {
    List<String> acksModes = List.of("0", "1", "all");
    try (Admin admin = admin()) {
      for (String acks : acksModes) {
        String topic = prefix + "-pc-" + codec + "-acks" + acks;
        createTopic(admin, topic, PARTITIONS);
        try (KafkaProducer<String, String> producer = producer(acks, codec, false)) {
          produce(producer, topic, RECORDS, PARTITIONS);
        }
        try {
          verify(consumeAll(topic, RECORDS, PARTITIONS), RECORDS, PARTITIONS);
        } catch (IllegalStateException wrong) {
          throw new IllegalStateException("acks=" + acks + ": " + wrong.getMessage());
        }
      }
    }
    return RECORDS + " records x acks 0,1,all";
  }

  String listOffsets() throws Exception {
    String topic = prefix + "-lo";
    TopicPartition tp = new TopicPartition(topic, 0);
    long base = (System.currentTimeMillis() / 1000 - 60) * 1000;
    try (Admin admin = admin()) {
      createTopic(admin, topic, PARTITIONS);
      try (KafkaProducer<String, String> producer = producer("all", "none", false)) {
        for (int i = 0; i < 10; i++) {
          producer.send(new ProducerRecord<>(topic, 0, base + i * 1000L, key(i), value(i), headers(i)));
        }
        producer.flush();
      }
      long earliest = admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset();
      long latest = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
      long byTime = admin.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(base + 5500)))
          .partitionResult(tp).get().offset();
      check("admin earliest", earliest, 0);
      check("admin latest", latest, 10);
      check("admin for timestamp base+5.5s", byTime, 6);
      try (KafkaConsumer<String, String> consumer = consumer(null, Map.of())) {
        check("consumer beginningOffsets", consumer.beginningOffsets(List.of(tp)).get(tp), 0);
        check("consumer endOffsets", consumer.endOffsets(List.of(tp)).get(tp), 10);
        OffsetAndTimestamp found = consumer.offsetsForTimes(Map.of(tp, base + 5000)).get(tp);
        check("consumer offsetsForTimes base+5s", found == null ? -1 : found.offset(), 5);
        check("consumer offsetsForTimes timestamp", found.timestamp(), base + 5000);
      }
    }
    return "earliest 0, latest 10, timestamp -> 6 (admin and consumer)";
  }

  static void check(String what, long got, long want) {
    if (got != want) throw new IllegalStateException(what + ": got " + got + ", expected " + want);
  }

  String idempotent() throws Exception {
    String topic = prefix + "-idem";
    int count = 1000;
    try (Admin admin = admin()) {
      createTopic(admin, topic, PARTITIONS);
    }
    try (KafkaProducer<String, String> producer = producer("all", "none", true)) {
      produce(producer, topic, count, PARTITIONS);
    }
    verify(consumeAll(topic, count, PARTITIONS), count, PARTITIONS);
    return count + " records, enable.idempotence=true";
  }

  String longPoll() throws Exception {
    String topic = prefix + "-lp";
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = admin()) {
      createTopic(admin, topic, 1);
    }
    try (KafkaProducer<String, String> producer = producer("1", "none", false);
        KafkaConsumer<String, String> consumer = consumer(null, Map.of(
            ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, LONG_POLL_MAX_WAIT_MS,
            ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1))) {
      producer.partitionsFor(topic);
      consumer.assign(List.of(tp));
      consumer.seek(tp, 0);
      if (!consumer.poll(Duration.ofMillis(1000)).isEmpty()) throw new IllegalStateException("topic not empty");
      AtomicLong sentAt = new AtomicLong();
      // The send happens on another thread while this one sits in poll(), inside a fetch the
      // broker is holding open: the record must end that wait, not the max wait.
      Thread sender = new Thread(() -> {
        try {
          Thread.sleep(1000);
          sentAt.set(System.nanoTime());
          producer.send(new ProducerRecord<>(topic, 0, key(0), value(0))).get();
        } catch (Exception e) {
          sentAt.set(-1);
        }
      });
      sender.start();
      long deadline = System.currentTimeMillis() + 3 * LONG_POLL_MAX_WAIT_MS;
      ConsumerRecords<String, String> got = ConsumerRecords.empty();
      while (got.isEmpty() && System.currentTimeMillis() < deadline) {
        got = consumer.poll(Duration.ofMillis(3L * LONG_POLL_MAX_WAIT_MS));
      }
      long receivedAt = System.nanoTime();
      sender.join();
      if (got.isEmpty()) throw new IllegalStateException("record not received");
      if (sentAt.get() <= 0) throw new IllegalStateException("produce failed");
      long latencyMs = (receivedAt - sentAt.get()) / 1_000_000;
      if (latencyMs >= LONG_POLL_MAX_WAIT_MS / 2) {
        throw new IllegalStateException("received after " + latencyMs + " ms, max wait " + LONG_POLL_MAX_WAIT_MS);
      }
      return latencyMs + " ms produce->consume, fetch.max.wait.ms=" + LONG_POLL_MAX_WAIT_MS;
    }
  }

  String groupTopic() { return prefix + "-group"; }

  String groupResumeCommit() throws Exception {
    String topic = groupTopic();
    try (Admin admin = admin()) {
      createTopic(admin, topic, GROUP_PARTITIONS);
    }
    try (KafkaProducer<String, String> producer = producer("all", "none", false)) {
      produce(producer, topic, GROUP_PARTITIONS * GROUP_RECORDS_PER_PARTITION, GROUP_PARTITIONS);
    }
    Map<String, Object> groupConfig = Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10000,
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1000);
    try (KafkaConsumer<String, String> a = consumer(topic, groupConfig);
        KafkaConsumer<String, String> b = consumer(topic, groupConfig)) {
      a.subscribe(List.of(topic));
      b.subscribe(List.of(topic));
      // One thread polls both members in turn: each poll is short, so neither stalls the
      // other's join or sync for long.
      long deadline = System.currentTimeMillis() + 60000;
      while (!(a.assignment().size() == 2 && b.assignment().size() == 2)) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("group did not settle on 2+2 partitions: " + a.assignment() + " / "
              + b.assignment());
        }
        a.poll(Duration.ofMillis(100));
        b.poll(Duration.ofMillis(100));
      }
      for (KafkaConsumer<String, String> member : List.of(a, b)) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        for (TopicPartition tp : member.assignment()) commit.put(tp, new OffsetAndMetadata(GROUP_COMMIT_OFFSET));
        member.commitSync(commit, Duration.ofSeconds(15));
      }
      Set<TopicPartition> all = allGroupPartitions();
      Map<TopicPartition, OffsetAndMetadata> committed = a.committed(all, Duration.ofSeconds(15));
      for (TopicPartition tp : all) {
        OffsetAndMetadata offset = committed.get(tp);
        check("committed " + tp, offset == null ? -1 : offset.offset(), GROUP_COMMIT_OFFSET);
      }
    }
    return "2 members x 2 partitions, committed offset " + GROUP_COMMIT_OFFSET + " on 4 partitions";
  }

  Set<TopicPartition> allGroupPartitions() {
    Set<TopicPartition> all = new java.util.HashSet<>();
    for (int p = 0; p < GROUP_PARTITIONS; p++) all.add(new TopicPartition(groupTopic(), p));
    return all;
  }

  String groupResumeCheck() throws Exception {
    String topic = groupTopic();
    try (KafkaConsumer<String, String> consumer = consumer(topic, Map.of())) {
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(allGroupPartitions(), Duration.ofSeconds(20));
      for (TopicPartition tp : allGroupPartitions()) {
        OffsetAndMetadata offset = committed.get(tp);
        check("committed " + tp + " after restart", offset == null ? -1 : offset.offset(), GROUP_COMMIT_OFFSET);
      }
      consumer.subscribe(List.of(topic));
      Map<Integer, Long> firstOffset = new LinkedHashMap<>();
      long deadline = System.currentTimeMillis() + 30000;
      while (firstOffset.size() < GROUP_PARTITIONS && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          if (firstOffset.putIfAbsent(record.partition(), record.offset()) == null) {
            int i = (int) record.offset() * GROUP_PARTITIONS + record.partition();
            if (!key(i).equals(record.key())) {
              throw new IllegalStateException("partition " + record.partition() + " offset " + record.offset()
                  + " has key " + record.key() + ", expected " + key(i));
            }
          }
        }
      }
      if (firstOffset.size() < GROUP_PARTITIONS) {
        throw new IllegalStateException("received from partitions " + firstOffset.keySet() + " only");
      }
      for (Map.Entry<Integer, Long> first : firstOffset.entrySet()) {
        check("first offset of partition " + first.getKey(), first.getValue(), GROUP_COMMIT_OFFSET);
      }
    }
    return "resumed at offset " + GROUP_COMMIT_OFFSET + " on 4 partitions";
  }
}
