// One member of a consumer group under the KIP-848 protocol (group.protocol=consumer), for the
// compat regressions: the same JSON lines as test/compat/python/consumer_protocol_member.py
// (assigned / revoked / lost with a timestamp, a batch before its commit and again after the commit
// succeeded, closed).
// Commits are manual and synchronous after each poll. SIGTERM closes the consumer (it leaves).
// Usage: ConsumerProtocolMember <bootstrap> <topic> <group> <name> [consumer|classic]
// (classic: group.protocol=classic with the CooperativeStickyAssignor, for the rolling-upgrade regression).
package highwater.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class ConsumerProtocolMember {
  static synchronized void emit(String ev, String fields) {
    System.out.println("{\"ev\":\"" + ev + "\",\"t\":" + System.currentTimeMillis() + (fields.isEmpty() ? "" : "," + fields) + "}");
    System.out.flush();
  }

  static String partitions(Collection<TopicPartition> parts) {
    List<Integer> ps = new ArrayList<>();
    for (TopicPartition tp : parts) ps.add(tp.partition());
    ps.sort(null);
    return "\"partitions\":" + ps;
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], group = args[2], name = args[3];
    String protocol = args.length > 4 ? args[4] : "consumer";
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
    if (protocol.equals("classic")) {
      props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    }
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
    CountDownLatch closed = new CountDownLatch(1);
    Thread main = Thread.currentThread();
    final boolean[] stopping = {false};
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping[0] = true;
      consumer.wakeup();
      try { closed.await(); } catch (InterruptedException ignored) { }
    }));
    consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
      @Override public void onPartitionsAssigned(Collection<TopicPartition> parts) { emit("assigned", partitions(parts)); }
      @Override public void onPartitionsRevoked(Collection<TopicPartition> parts) { emit("revoked", partitions(parts)); }
      @Override public void onPartitionsLost(Collection<TopicPartition> parts) { emit("lost", partitions(parts)); }
    });
    emit("started", "");
    try {
      while (!stopping[0]) {
        ConsumerRecords<String, String> records;
        try {
          records = consumer.poll(Duration.ofMillis(200));
        } catch (WakeupException e) {
          break;
        }
        if (records.isEmpty()) continue;
        Map<TopicPartition, OffsetAndMetadata> latest = new HashMap<>();
        Map<TopicPartition, Long> first = new HashMap<>();
        StringBuilder read = new StringBuilder();
        for (ConsumerRecord<String, String> r : records) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          latest.put(tp, new OffsetAndMetadata(r.offset() + 1));
          first.putIfAbsent(tp, r.offset());
          if (read.length() > 0) read.append(',');
          read.append('[').append(r.partition()).append(',').append(r.offset()).append(']');
        }
        // Logged before the commit too: a member killed between its commit and the line after it
        // has still committed these records (the test accepts them when the group's offset is past them).
        emit("processing", "\"records\":[" + read + "]");
        try {
          consumer.commitSync(latest);
        } catch (WakeupException e) {
          break;
        } catch (KafkaException e) {
          // Not committed: these records are read again, by this member or the next owner.
          emit("commit-failed", "\"error\":\"" + e.getClass().getSimpleName() + "\"");
          for (Map.Entry<TopicPartition, Long> f : first.entrySet()) {
            if (consumer.assignment().contains(f.getKey())) consumer.seek(f.getKey(), f.getValue());
          }
          continue;
        }
        emit("records", "\"records\":[" + read + "]");
      }
    } finally {
      consumer.close();
      emit("closed", "");
      closed.countDown();
    }
  }
}
