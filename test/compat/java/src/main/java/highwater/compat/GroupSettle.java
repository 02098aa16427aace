// The group-settle benchmark (bench/group-settle.ts) with the Java client: how long a group of
// --members consumers takes to settle after one more joins, under group.protocol=classic or
// consumer, with the client's default timings. "Settled": every partition held by exactly one
// member by the clients' own account (assignment() after poll), every member holding one or more.
// Usage: GroupSettle <bootstrap> <classic|consumer> <members> <partitions> <rounds>
// Prints one JSON line: {"client":"java","protocol",...,"settleMs":[...],"medianMs"}.
package highwater.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class GroupSettle {
  static final Map<String, Set<Integer>> HELD = new ConcurrentHashMap<>();

  static final class Member extends Thread {
    final KafkaConsumer<String, String> consumer;
    final String topic;
    volatile boolean running = true;

    Member(String bootstrap, String protocol, String group, String topic, String name) {
      this.topic = topic;
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
      p.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
      p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      if (protocol.equals("classic")) p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
      consumer = new KafkaConsumer<>(p);
      setName(name);
      setDaemon(true);
    }

    @Override public void run() {
      consumer.subscribe(List.of(topic));
      while (running) {
        consumer.poll(Duration.ofMillis(20));
        Set<Integer> mine = new HashSet<>();
        for (TopicPartition tp : consumer.assignment()) mine.add(tp.partition());
        HELD.put(getName(), mine);
      }
      consumer.close();
      HELD.remove(getName());
    }
  }

  static boolean settled(List<Member> members, int partitions) {
    List<Integer> all = new ArrayList<>();
    for (Member m : members) {
      Set<Integer> mine = HELD.get(m.getName());
      if (mine == null || mine.isEmpty()) return false;
      all.addAll(mine);
    }
    return all.size() == partitions && new HashSet<>(all).size() == partitions;
  }

  static void await(List<Member> members, int partitions) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 180_000;
    while (!settled(members, partitions)) {
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("did not settle");
      Thread.sleep(5);
    }
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], protocol = args[1];
    int members = Integer.parseInt(args[2]), partitions = Integer.parseInt(args[3]), rounds = Integer.parseInt(args[4]);
    String stamp = Long.toString(System.currentTimeMillis());
    String topic = "settle-java-" + protocol + "-" + stamp, group = topic;
    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(ap)) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
    Thread.sleep(1000);
    List<Member> group0 = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      Member m = new Member(bootstrap, protocol, group, topic, "m" + i);
      group0.add(m);
      m.start();
    }
    await(group0, partitions);
    List<Long> times = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      long began = System.nanoTime();
      Member extra = new Member(bootstrap, protocol, group, topic, "extra" + r);
      group0.add(extra);
      extra.start();
      await(group0, partitions);
      times.add((System.nanoTime() - began) / 1_000_000);
      group0.remove(extra);
      extra.running = false;
      extra.join();
      await(group0, partitions);
    }
    for (Member m : group0) m.running = false;
    for (Member m : group0) m.join();
    List<Long> sorted = new ArrayList<>(times);
    Collections.sort(sorted);
    System.out.println("{\"client\":\"java\",\"protocol\":\"" + protocol + "\",\"members\":" + members + ",\"partitions\":" + partitions
        + ",\"settleMs\":" + times + ",\"medianMs\":" + sorted.get(sorted.size() / 2) + "}");
  }
}
