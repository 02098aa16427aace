// Compatibility driver for Sarama (IBM/sarama): the scenarios of docs/compat.md. Sarama is left at
// its default protocol Version (as most users leave it), which decides the API versions it sends.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"highwater/compat/internal/compat"
)

const client = "sarama"

var args compat.Args

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "highwater-compat-sarama"
	c.Net.DialTimeout = 10 * time.Second
	c.Admin.Timeout = 20 * time.Second
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	// The runner's security mode (test/compat/run.ts --security).
	sec := compat.SecurityFromEnv()
	if sec.UsesTLS() {
		cfg, err := sec.TLSConfig()
		if err != nil {
			panic(err)
		}
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = cfg
	}
	if sec.UsesSASL() {
		c.Net.SASL.Enable = true
		c.Net.SASL.User = sec.Username
		c.Net.SASL.Password = sec.Password
		c.Net.SASL.Mechanism = sarama.SASLMechanism(sec.Mechanism)
		if strings.HasPrefix(sec.Mechanism, "SCRAM") {
			mechanism := sec.Mechanism
			c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return compat.NewScramClient(mechanism) }
		}
	}
	return c
}

func brokers() []string { return []string{args.Bootstrap} }

func admin() (sarama.ClusterAdmin, error) { return sarama.NewClusterAdmin(brokers(), config()) }

// createTopic creates the topic and waits until every partition answers ListOffsets: Kafka's
// leader learns of a new partition a moment after CreateTopics returns, and an acks=0 record sent
// before then is dropped without a word.
func createTopic(topic string, partitions int32) error {
	adm, err := admin()
	if err != nil {
		return err
	}
	defer adm.Close()
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false); err != nil {
		return err
	}
	cl, err := sarama.NewClient(brokers(), config())
	if err != nil {
		return err
	}
	defer cl.Close()
	deadline := time.Now().Add(20 * time.Second)
	for p := int32(0); p < partitions; p++ {
		for {
			_ = cl.RefreshMetadata(topic)
			if _, err := cl.GetOffset(topic, p, sarama.OffsetNewest); err == nil {
				break
			} else if time.Now().After(deadline) {
				return fmt.Errorf("%s partition %d does not answer ListOffsets: %w", topic, p, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func producer(acks string, codec string, idempotent bool) (sarama.SyncProducer, error) {
	c := config()
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Flush.Frequency = 5 * time.Millisecond
	c.Producer.Retry.Max = 10
	switch acks {
	case "0":
		c.Producer.RequiredAcks = sarama.NoResponse
	case "1":
		c.Producer.RequiredAcks = sarama.WaitForLocal
	default:
		c.Producer.RequiredAcks = sarama.WaitForAll
	}
	switch codec {
	case "gzip":
		c.Producer.Compression = sarama.CompressionGZIP
	case "snappy":
		c.Producer.Compression = sarama.CompressionSnappy
	case "lz4":
		c.Producer.Compression = sarama.CompressionLZ4
	case "zstd":
		c.Producer.Compression = sarama.CompressionZSTD
	}
	// One request in flight: required by Sarama for idempotence, and without idempotence it keeps
	// a retried batch from overtaking the next one.
	c.Net.MaxOpenRequests = 1
	c.Producer.Idempotent = idempotent
	return sarama.NewSyncProducer(brokers(), c)
}

func message(topic string, partition int32, i int) *sarama.ProducerMessage {
	var headers []sarama.RecordHeader
	for _, h := range compat.Headers(i, client) {
		headers = append(headers, sarama.RecordHeader{Key: []byte(h.Key), Value: h.Value})
	}
	return &sarama.ProducerMessage{Topic: topic, Partition: partition, Key: sarama.ByteEncoder(compat.Key(i)),
		Value: sarama.ByteEncoder(compat.Value(i)), Headers: headers}
}

func produce(p sarama.SyncProducer, topic string, count, partitions int) error {
	messages := make([]*sarama.ProducerMessage, count)
	for i := range messages {
		messages[i] = message(topic, int32(i%partitions), i)
	}
	return p.SendMessages(messages)
}

func consumeAll(topic string, count, partitions int) (map[int32][]compat.Record, error) {
	consumer, err := sarama.NewConsumer(brokers(), config())
	if err != nil {
		return nil, err
	}
	defer consumer.Close()
	byPartition := map[int32][]compat.Record{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	received := 0
	deadline := time.After(30 * time.Second)
	done := make(chan struct{})
	for p := 0; p < partitions; p++ {
		pc, err := consumer.ConsumePartition(topic, int32(p), sarama.OffsetOldest)
		if err != nil {
			return nil, err
		}
		defer pc.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case m := <-pc.Messages():
					headers := make([]compat.Header, len(m.Headers))
					for h, header := range m.Headers {
						headers[h] = compat.Header{Key: string(header.Key), Value: header.Value}
					}
					mu.Lock()
					byPartition[m.Partition] = append(byPartition[m.Partition],
						compat.Record{Offset: m.Offset, Key: m.Key, Value: m.Value, Headers: headers})
					received++
					if received == count {
						close(done)
					}
					mu.Unlock()
				case <-done:
					return
				}
			}
		}()
	}
	select {
	case <-done:
	case <-deadline:
		close(done)
	}
	wg.Wait()
	return byPartition, nil
}

func metadata() (string, error) {
	topic := args.Prefix + "-meta"
	if err := createTopic(topic, compat.Partitions); err != nil {
		return "", err
	}
	adm, err := admin()
	if err != nil {
		return "", err
	}
	defer adm.Close()
	nodes, _, err := adm.DescribeCluster()
	if err != nil {
		return "", err
	}
	described, err := adm.DescribeTopics([]string{topic})
	if err != nil {
		return "", err
	}
	if len(described) != 1 || len(described[0].Partitions) != compat.Partitions {
		return "", fmt.Errorf("Metadata does not show %d partitions", compat.Partitions)
	}
	listed, err := adm.ListTopics()
	if err != nil {
		return "", err
	}
	if _, ok := listed[topic]; !ok {
		return "", fmt.Errorf("%s not listed", topic)
	}
	if err := adm.DeleteTopic(topic); err != nil {
		return "", err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		listed, err := adm.ListTopics()
		if err != nil {
			return "", err
		}
		if _, ok := listed[topic]; !ok {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s still listed after delete", topic)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Sprintf("%d broker(s); create, describe, list, delete", len(nodes)), nil
}

func produceConsume(codec string) func() (string, error) {
	return func() (string, error) {
		for _, acks := range []string{"0", "1", "all"} {
			topic := fmt.Sprintf("%s-pc-%s-acks%s", args.Prefix, codec, acks)
			if err := createTopic(topic, compat.Partitions); err != nil {
				return "", err
			}
			p, err := producer(acks, codec, false)
			if err != nil {
				return "", err
			}
			err = produce(p, topic, compat.Records, compat.Partitions)
			p.Close()
			if err != nil {
				return "", fmt.Errorf("acks=%s: produce: %w", acks, err)
			}
			got, err := consumeAll(topic, compat.Records, compat.Partitions)
			if err == nil {
				err = compat.Verify(got, compat.Records, compat.Partitions, client)
			}
			if err != nil {
				return "", fmt.Errorf("acks=%s: %w", acks, err)
			}
		}
		return fmt.Sprintf("%d records x acks 0,1,all", compat.Records), nil
	}
}

func listOffsets() (string, error) {
	topic := args.Prefix + "-lo"
	if err := createTopic(topic, compat.Partitions); err != nil {
		return "", err
	}
	base := (time.Now().Unix() - 60) * 1000
	p, err := producer("all", "none", false)
	if err != nil {
		return "", err
	}
	var messages []*sarama.ProducerMessage
	for i := 0; i < 10; i++ {
		m := message(topic, 0, i)
		m.Timestamp = time.UnixMilli(base + int64(i)*1000)
		messages = append(messages, m)
	}
	err = p.SendMessages(messages)
	p.Close()
	if err != nil {
		return "", err
	}
	cl, err := sarama.NewClient(brokers(), config())
	if err != nil {
		return "", err
	}
	defer cl.Close()
	for _, check := range []struct {
		what  string
		query int64
		want  int64
	}{{"earliest", sarama.OffsetOldest, 0}, {"latest", sarama.OffsetNewest, 10}, {"for timestamp base+5.5s", base + 5500, 6}} {
		got, err := cl.GetOffset(topic, 0, check.query)
		if err != nil {
			return "", fmt.Errorf("%s: %w", check.what, err)
		}
		if err := compat.Expect(check.what, got, check.want); err != nil {
			return "", err
		}
	}
	return "earliest 0, latest 10, timestamp -> 6 (Client.GetOffset)", nil
}

func idempotent() (string, error) {
	topic := args.Prefix + "-idem"
	count := 1000
	if err := createTopic(topic, compat.Partitions); err != nil {
		return "", err
	}
	p, err := producer("all", "none", true)
	if err != nil {
		return "", err
	}
	err = produce(p, topic, count, compat.Partitions)
	p.Close()
	if err != nil {
		return "", err
	}
	got, err := consumeAll(topic, count, compat.Partitions)
	if err == nil {
		err = compat.Verify(got, count, compat.Partitions, client)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d records, Producer.Idempotent=true", count), nil
}

func longPoll() (string, error) {
	topic := args.Prefix + "-lp"
	if err := createTopic(topic, 1); err != nil {
		return "", err
	}
	p, err := producer("1", "none", false)
	if err != nil {
		return "", err
	}
	defer p.Close()
	c := config()
	c.Consumer.MaxWaitTime = compat.LongPollMaxWaitMs * time.Millisecond
	c.Consumer.Fetch.Min = 1
	consumer, err := sarama.NewConsumer(brokers(), c)
	if err != nil {
		return "", err
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, 0, 0)
	if err != nil {
		return "", err
	}
	defer pc.Close()
	// The partition consumer's fetch is being held open by the broker when this sends.
	time.Sleep(time.Second)
	sentAt := time.Now()
	if _, _, err := p.SendMessage(message(topic, 0, 0)); err != nil {
		return "", err
	}
	select {
	case <-pc.Messages():
	case <-time.After(3 * compat.LongPollMaxWaitMs * time.Millisecond):
		return "", errors.New("record not received")
	}
	latency := time.Since(sentAt).Milliseconds()
	if latency >= compat.LongPollMaxWaitMs/2 {
		return "", fmt.Errorf("received after %d ms, max wait %d", latency, compat.LongPollMaxWaitMs)
	}
	return fmt.Sprintf("%d ms produce->consume, Consumer.MaxWaitTime=%d ms", latency, compat.LongPollMaxWaitMs), nil
}

// handler is one group member's view of its session: the partitions claimed and the session to
// commit through.
type handler struct {
	mu      sync.Mutex
	session sarama.ConsumerGroupSession
	claimed int
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.session = s
	for _, partitions := range s.Claims() {
		h.claimed += len(partitions)
	}
	return nil
}

func (h *handler) Cleanup(sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.session = nil
	h.claimed = 0
	return nil
}

func (h *handler) ConsumeClaim(_ sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for range claim.Messages() {
		// Records are read but not marked: the commit is the explicit offset of the scenario.
	}
	return nil
}

func (h *handler) state() (sarama.ConsumerGroupSession, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.session, h.claimed
}

func groupConfig() *sarama.Config {
	c := config()
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Group.Heartbeat.Interval = time.Second
	return c
}

func checkCommitted(topic, when string) error {
	adm, err := admin()
	if err != nil {
		return err
	}
	defer adm.Close()
	partitions := make([]int32, compat.GroupPartitions)
	for p := range partitions {
		partitions[p] = int32(p)
	}
	fetched, err := adm.ListConsumerGroupOffsets(topic, map[string][]int32{topic: partitions})
	if err != nil {
		return err
	}
	for _, p := range partitions {
		offset := int64(-1)
		if block := fetched.GetBlock(topic, p); block != nil {
			offset = block.Offset
		}
		if err := compat.Expect(fmt.Sprintf("committed partition %d%s", p, when), offset, compat.GroupCommitOffset); err != nil {
			return err
		}
	}
	return nil
}

func groupResumeCommit() (string, error) {
	topic := args.Prefix + "-group"
	if err := createTopic(topic, compat.GroupPartitions); err != nil {
		return "", err
	}
	p, err := producer("all", "none", false)
	if err != nil {
		return "", err
	}
	err = produce(p, topic, compat.GroupPartitions*compat.GroupRecordsPerPartition, compat.GroupPartitions)
	p.Close()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var handlers []*handler
	var groups []sarama.ConsumerGroup
	var running sync.WaitGroup
	defer func() {
		cancel()
		for _, g := range groups {
			g.Close()
		}
		running.Wait()
	}()
	for k := 0; k < 2; k++ {
		g, err := sarama.NewConsumerGroup(brokers(), topic, groupConfig())
		if err != nil {
			return "", err
		}
		h := &handler{}
		groups, handlers = append(groups, g), append(handlers, h)
		running.Add(1)
		go func() {
			defer running.Done()
			// Consume returns at every rebalance; calling it again rejoins.
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{topic}, h); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	for {
		s0, n0 := handlers[0].state()
		s1, n1 := handlers[1].state()
		if n0 == 2 && n1 == 2 && s0 != nil && s1 != nil {
			break
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("group did not settle on 2+2 partitions: %d/%d", n0, n1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, h := range handlers {
		session, _ := h.state()
		for _, p := range session.Claims()[topic] {
			session.MarkOffset(topic, p, compat.GroupCommitOffset, "")
		}
		session.Commit()
	}
	if err := checkCommitted(topic, ""); err != nil {
		return "", err
	}
	return fmt.Sprintf("2 members x 2 partitions, committed offset %d on 4 partitions", compat.GroupCommitOffset), nil
}

// firstRecords remembers the first record of each partition a resumed member receives.
type firstRecords struct {
	mu    sync.Mutex
	first map[int32]*sarama.ConsumerMessage
}

func (f *firstRecords) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (f *firstRecords) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (f *firstRecords) ConsumeClaim(_ sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		f.mu.Lock()
		if _, seen := f.first[m.Partition]; !seen {
			f.first[m.Partition] = m
		}
		f.mu.Unlock()
	}
	return nil
}

func groupResumeCheck() (string, error) {
	topic := args.Prefix + "-group"
	if err := checkCommitted(topic, " after restart"); err != nil {
		return "", err
	}
	g, err := sarama.NewConsumerGroup(brokers(), topic, groupConfig())
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	f := &firstRecords{first: map[int32]*sarama.ConsumerMessage{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, f); err != nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	for ctx.Err() == nil {
		f.mu.Lock()
		n := len(f.first)
		f.mu.Unlock()
		if n == compat.GroupPartitions {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	g.Close()
	<-done
	if len(f.first) < compat.GroupPartitions {
		return "", fmt.Errorf("received from %d partitions only", len(f.first))
	}
	for p, m := range f.first {
		if err := compat.Expect(fmt.Sprintf("first offset of partition %d", p), m.Offset, compat.GroupCommitOffset); err != nil {
			return "", err
		}
		i := int(m.Offset)*compat.GroupPartitions + int(p)
		if string(m.Key) != string(compat.Key(i)) {
			return "", fmt.Errorf("partition %d offset %d has key %q, expected %q", p, m.Offset, m.Key, compat.Key(i))
		}
	}
	return fmt.Sprintf("resumed at offset %d on 4 partitions", compat.GroupCommitOffset), nil
}

func main() {
	args = compat.ParseArgs()
	scenarios := compat.Scenarios{Metadata: metadata, ListOffsets: listOffsets, Idempotent: idempotent, LongPoll: longPoll,
		GroupResumeCommit: groupResumeCommit, GroupResumeCheck: groupResumeCheck, ProduceConsume: produceConsume,
		Transactions: transactions}.Map()
	compat.Run(args, []string{fmt.Sprintf("sarama %s (config.Version %s)", compat.ModuleVersion("github.com/IBM/sarama"),
		sarama.NewConfig().Version)}, scenarios)
}
