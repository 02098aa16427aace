// Compatibility driver for segmentio/kafka-go: the scenarios of docs/compat.md. Records are read
// back with Client.Fetch (sessionless fetches: session id -1, epoch -1), long-poll uses a Reader,
// group-resume uses ConsumerGroup generations and a group Reader.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"highwater/compat/internal/compat"
)

const client = "kafka-go"

var args compat.Args

func withTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func newClient() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(args.Bootstrap), Timeout: 20 * time.Second}
}

// createTopic creates the topic and waits until every partition answers ListOffsets: Kafka's
// leader learns of a new partition a moment after CreateTopics returns, and an acks=0 record sent
// before then is dropped without a word.
func createTopic(topic string, partitions int) error {
	cl := newClient()
	ctx, cancel := withTimeout(20 * time.Second)
	defer cancel()
	created, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}},
	})
	if err != nil {
		return err
	}
	if err := created.Errors[topic]; err != nil {
		return err
	}
	requests := make([]kafka.OffsetRequest, partitions)
	for p := range requests {
		requests[p] = kafka.LastOffsetOf(p)
	}
	for ctx.Err() == nil {
		listed, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: requests}})
		if err == nil && allAnswered(listed.Topics[topic], partitions) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s: not every partition answers ListOffsets after 20 s", topic)
}

func allAnswered(offsets []kafka.PartitionOffsets, partitions int) bool {
	if len(offsets) != partitions {
		return false
	}
	for _, o := range offsets {
		if o.Error != nil {
			return false
		}
	}
	return true
}

func codecOf(name string) kafka.Compression {
	switch name {
	case "gzip":
		return kafka.Gzip
	case "snappy":
		return kafka.Snappy
	case "lz4":
		return kafka.Lz4
	case "zstd":
		return kafka.Zstd
	}
	return 0
}

func acksOf(name string) kafka.RequiredAcks {
	switch name {
	case "0":
		return kafka.RequireNone
	case "1":
		return kafka.RequireOne
	}
	return kafka.RequireAll
}

// byIndexHeader sends record i to partition i % partitions, read from its "index" header: the
// Writer ignores Message.Partition and always asks its Balancer.
var byIndexHeader = kafka.BalancerFunc(func(m kafka.Message, partitions ...int) int {
	for _, h := range m.Headers {
		if h.Key == "index" {
			i, _ := strconv.Atoi(string(h.Value))
			return partitions[i%len(partitions)]
		}
	}
	return partitions[0]
})

// writer batches up to 500 records for 5 ms; the Writer's default of 1 s per batch would make
// every synchronous write wait a second. Each partition's batches are written one at a time.
func writer(topic, acks, codec string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(args.Bootstrap),
		Topic:        topic,
		Balancer:     byIndexHeader,
		RequiredAcks: acksOf(acks),
		Compression:  codecOf(codec),
		BatchSize:    500,
		BatchTimeout: 5 * time.Millisecond,
		MaxAttempts:  10,
		WriteTimeout: 20 * time.Second,
	}
}

func message(i int) kafka.Message {
	var headers []kafka.Header
	for _, h := range compat.Headers(i, client) {
		headers = append(headers, kafka.Header{Key: h.Key, Value: h.Value})
	}
	return kafka.Message{Key: compat.Key(i), Value: compat.Value(i), Headers: headers}
}

// produce writes record i to partition i % partitions. With acks=0 it writes one partition after
// the other: the Writer's partitions share a pool of connections, a request that expects no answer
// frees its connection at once, so two batches of one partition can leave on two connections, and
// Kafka (one request at a time per connection, connections in parallel) then appended them out of
// order (seen with lz4: offset 1000 of partition 0 held record 4500, not 3000).
func produce(w *kafka.Writer, count, partitions int) error {
	ctx, cancel := withTimeout(60 * time.Second)
	defer cancel()
	rounds := [][]kafka.Message{nil}
	if w.RequiredAcks == kafka.RequireNone {
		rounds = make([][]kafka.Message, partitions)
	}
	for i := 0; i < count; i++ {
		round := &rounds[(i%partitions)%len(rounds)]
		*round = append(*round, message(i))
	}
	for _, messages := range rounds {
		if err := w.WriteMessages(ctx, messages...); err != nil {
			return err
		}
	}
	return nil
}

func readBytes(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	return io.ReadAll(b)
}

// fetchPartition reads [0, count) of one partition with Client.Fetch, one sessionless fetch per
// round; a fetch may start at a batch before the offset asked for, so earlier records are skipped.
func fetchPartition(ctx context.Context, cl *kafka.Client, topic string, partition, count int) ([]compat.Record, error) {
	var records []compat.Record
	next := int64(0)
	for len(records) < count {
		if ctx.Err() != nil {
			return records, fmt.Errorf("partition %d: %d of %d records after 30 s", partition, len(records), count)
		}
		fetched, err := cl.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: partition, Offset: next,
			MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 500 * time.Millisecond})
		if err != nil {
			return records, fmt.Errorf("partition %d: Client.Fetch at %d: %w", partition, next, err)
		}
		if fetched.Error != nil {
			return records, fmt.Errorf("partition %d: Client.Fetch at %d: %w", partition, next, fetched.Error)
		}
		for {
			r, err := fetched.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return records, fmt.Errorf("partition %d: reading records at %d: %w", partition, next, err)
			}
			key, kerr := readBytes(r.Key)
			value, verr := readBytes(r.Value)
			if err := errors.Join(kerr, verr); err != nil {
				return records, err
			}
			if r.Offset < next {
				continue
			}
			headers := make([]compat.Header, len(r.Headers))
			for h, header := range r.Headers {
				headers[h] = compat.Header{Key: header.Key, Value: header.Value}
			}
			records = append(records, compat.Record{Offset: r.Offset, Key: key, Value: value, Headers: headers})
			next = r.Offset + 1
		}
	}
	return records, nil
}

func consumeAll(topic string, count, partitions int) (map[int32][]compat.Record, error) {
	ctx, cancel := withTimeout(30 * time.Second)
	defer cancel()
	cl := newClient()
	byPartition := map[int32][]compat.Record{}
	for p := 0; p < partitions; p++ {
		records, err := fetchPartition(ctx, cl, topic, p, (count-p+partitions-1)/partitions)
		if err != nil {
			return nil, err
		}
		byPartition[int32(p)] = records
	}
	return byPartition, nil
}

func listedTopics(cl *kafka.Client, ctx context.Context, topics []string) (*kafka.MetadataResponse, error) {
	return cl.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
}

func isListed(m *kafka.MetadataResponse, topic string) bool {
	for _, t := range m.Topics {
		if t.Name == topic && t.Error == nil {
			return true
		}
	}
	return false
}

func metadata() (string, error) {
	topic := args.Prefix + "-meta"
	if err := createTopic(topic, compat.Partitions); err != nil {
		return "", err
	}
	cl := newClient()
	ctx, cancel := withTimeout(30 * time.Second)
	defer cancel()
	described, err := listedTopics(cl, ctx, []string{topic})
	if err != nil {
		return "", err
	}
	if len(described.Brokers) == 0 {
		return "", errors.New("Metadata shows no broker")
	}
	if len(described.Topics) != 1 || len(described.Topics[0].Partitions) != compat.Partitions {
		return "", fmt.Errorf("Metadata does not show %d partitions", compat.Partitions)
	}
	for _, p := range described.Topics[0].Partitions {
		if p.Leader.Host == "" {
			return "", fmt.Errorf("partition %d has no leader", p.ID)
		}
	}
	all, err := listedTopics(cl, ctx, nil)
	if err != nil {
		return "", err
	}
	if !isListed(all, topic) {
		return "", fmt.Errorf("%s not listed", topic)
	}
	deleted, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	if err != nil {
		return "", err
	}
	if err := deleted.Errors[topic]; err != nil {
		return "", err
	}
	for {
		all, err := listedTopics(cl, ctx, nil)
		if err != nil {
			return "", err
		}
		if !isListed(all, topic) {
			break
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s still listed after delete", topic)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Sprintf("%d broker(s); create, describe, list, delete", len(described.Brokers)), nil
}

func produceConsume(codec string) func() (string, error) {
	return func() (string, error) {
		for _, acks := range []string{"0", "1", "all"} {
			topic := fmt.Sprintf("%s-pc-%s-acks%s", args.Prefix, codec, acks)
			if err := createTopic(topic, compat.Partitions); err != nil {
				return "", err
			}
			w := writer(topic, acks, codec)
			err := produce(w, compat.Records, compat.Partitions)
			w.Close()
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
		return fmt.Sprintf("%d records x acks 0,1,all, read with Client.Fetch", compat.Records), nil
	}
}

// offsetOfTime is the one offset Client.ListOffsets answered for a timestamp query.
func offsetOfTime(offsets []kafka.PartitionOffsets) (int64, error) {
	if len(offsets) != 1 || offsets[0].Error != nil || len(offsets[0].Offsets) != 1 {
		return -1, fmt.Errorf("timestamp query answered %+v", offsets)
	}
	for offset := range offsets[0].Offsets {
		return offset, nil
	}
	return -1, nil
}

func listOffsets() (string, error) {
	topic := args.Prefix + "-lo"
	if err := createTopic(topic, compat.Partitions); err != nil {
		return "", err
	}
	base := time.UnixMilli((time.Now().Unix() - 60) * 1000)
	messages := make([]kafka.Message, 10)
	for i := range messages {
		messages[i] = message(i * compat.Partitions) // index 0, 3, 6...: all to partition 0
		messages[i].Time = base.Add(time.Duration(i) * time.Second)
	}
	w := writer(topic, "all", "none")
	ctx, cancel := withTimeout(30 * time.Second)
	defer cancel()
	err := w.WriteMessages(ctx, messages...)
	w.Close()
	if err != nil {
		return "", err
	}
	at := base.Add(5500 * time.Millisecond)

	// The Client: latest and by timestamp (it cannot tell an earliest answer from a latest one, as
	// Kafka answers both with timestamp -1).
	cl := newClient()
	latest, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(0)}}})
	if err != nil {
		return "", err
	}
	if offsets := latest.Topics[topic]; len(offsets) != 1 || offsets[0].Error != nil {
		return "", fmt.Errorf("latest: %+v", offsets)
	} else if err := compat.Expect("latest (Client)", offsets[0].LastOffset, 10); err != nil {
		return "", err
	}
	byTime, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.TimeOffsetOf(0, at)}}})
	if err != nil {
		return "", err
	}
	offset, err := offsetOfTime(byTime.Topics[topic])
	if err != nil {
		return "", err
	}
	if err := compat.Expect("for timestamp base+5.5s (Client)", offset, 6); err != nil {
		return "", err
	}

	// The partition leader's Conn: earliest, latest and by timestamp.
	conn, err := kafka.DialLeader(ctx, "tcp", args.Bootstrap, topic, 0)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	first, err := conn.ReadFirstOffset()
	if err == nil {
		err = compat.Expect("earliest (Conn)", first, 0)
	}
	if err != nil {
		return "", err
	}
	last, err := conn.ReadLastOffset()
	if err == nil {
		err = compat.Expect("latest (Conn)", last, 10)
	}
	if err != nil {
		return "", err
	}
	offset, err = conn.ReadOffset(at)
	if err == nil {
		err = compat.Expect("for timestamp base+5.5s (Conn)", offset, 6)
	}
	if err != nil {
		return "", err
	}
	return "earliest 0, latest 10, timestamp -> 6 (Client.ListOffsets and Conn.ReadOffset)", nil
}

func idempotent() (string, error) {
	return "", compat.ErrSkip{Why: "kafka-go's Writer has no idempotent producer (it never sends InitProducerId; batches carry producer id -1)"}
}

func longPoll() (string, error) {
	topic := args.Prefix + "-lp"
	if err := createTopic(topic, 1); err != nil {
		return "", err
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{args.Bootstrap}, Topic: topic, Partition: 0,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: compat.LongPollMaxWaitMs * time.Millisecond})
	defer r.Close()
	ctx, cancel := withTimeout(3 * compat.LongPollMaxWaitMs * time.Millisecond)
	defer cancel()
	received := make(chan error, 1)
	go func() {
		_, err := r.ReadMessage(ctx)
		received <- err
	}()
	// The Reader's fetch is being held open by the broker when this sends.
	time.Sleep(time.Second)
	w := writer(topic, "1", "none")
	w.BatchSize = 1
	defer w.Close()
	sentAt := time.Now()
	if err := w.WriteMessages(ctx, message(0)); err != nil {
		return "", err
	}
	if err := <-received; err != nil {
		return "", fmt.Errorf("record not received: %w", err)
	}
	latency := time.Since(sentAt).Milliseconds()
	if latency >= compat.LongPollMaxWaitMs/2 {
		return "", fmt.Errorf("received after %d ms, max wait %d", latency, compat.LongPollMaxWaitMs)
	}
	return fmt.Sprintf("%d ms produce->consume, Reader MaxWait=%d ms", latency, compat.LongPollMaxWaitMs), nil
}

// member is one ConsumerGroup whose goroutine rejoins at every rebalance and keeps the current
// generation and the partitions it was given.
type member struct {
	group      *kafka.ConsumerGroup
	mu         sync.Mutex
	generation *kafka.Generation
	claimed    int
	done       chan struct{}
}

func newMember(ctx context.Context, topic string) (*member, error) {
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{ID: topic, Brokers: []string{args.Bootstrap},
		Topics: []string{topic}, HeartbeatInterval: time.Second, SessionTimeout: 10 * time.Second,
		RebalanceTimeout: 10 * time.Second, StartOffset: kafka.FirstOffset})
	if err != nil {
		return nil, err
	}
	m := &member{group: group, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			generation, err := group.Next(ctx)
			if err != nil {
				if errors.Is(err, kafka.ErrGroupClosed) {
					return
				}
				time.Sleep(100 * time.Millisecond)
				continue
			}
			m.mu.Lock()
			m.generation, m.claimed = generation, len(generation.Assignments[topic])
			m.mu.Unlock()
		}
	}()
	return m, nil
}

func (m *member) state() (*kafka.Generation, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.generation, m.claimed
}

func (m *member) close() {
	m.group.Close()
	<-m.done
}

// checkCommitted retries while the coordinator is not ready: kafka-go's Client does not, and Kafka
// answers NOT_COORDINATOR until it has loaded __consumer_offsets after a restart.
func checkCommitted(ctx context.Context, topic, when string) error {
	for {
		err := checkCommittedOnce(ctx, topic, when)
		var kafkaError kafka.Error
		if err == nil || !errors.As(err, &kafkaError) || !kafkaError.Temporary() || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func checkCommittedOnce(ctx context.Context, topic, when string) error {
	partitions := make([]int, compat.GroupPartitions)
	for p := range partitions {
		partitions[p] = p
	}
	fetched, err := newClient().OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: topic, Topics: map[string][]int{topic: partitions}})
	if err != nil {
		return err
	}
	if fetched.Error != nil {
		return fetched.Error
	}
	committed := map[int]int64{}
	for _, p := range fetched.Topics[topic] {
		if p.Error != nil {
			return fmt.Errorf("partition %d%s: %w", p.Partition, when, p.Error)
		}
		committed[p.Partition] = p.CommittedOffset
	}
	for _, p := range partitions {
		offset, ok := committed[p]
		if !ok {
			offset = -1
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
	w := writer(topic, "all", "none")
	err := produce(w, compat.GroupPartitions*compat.GroupRecordsPerPartition, compat.GroupPartitions)
	w.Close()
	if err != nil {
		return "", err
	}
	ctx, cancel := withTimeout(60 * time.Second)
	defer cancel()
	var members []*member
	defer func() {
		for _, m := range members {
			m.close()
		}
	}()
	for k := 0; k < 2; k++ {
		m, err := newMember(ctx, topic)
		if err != nil {
			return "", err
		}
		members = append(members, m)
	}
	var generations []*kafka.Generation
	for {
		g0, n0 := members[0].state()
		g1, n1 := members[1].state()
		if n0 == 2 && n1 == 2 && g0 != nil && g1 != nil && g0.ID == g1.ID {
			generations = []*kafka.Generation{g0, g1}
			break
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("group did not settle on 2+2 partitions: %d/%d", n0, n1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, g := range generations {
		offsets := map[int]int64{}
		for _, a := range g.Assignments[topic] {
			offsets[a.ID] = compat.GroupCommitOffset
		}
		if err := g.CommitOffsets(map[string]map[int]int64{topic: offsets}); err != nil {
			return "", fmt.Errorf("Generation.CommitOffsets: %w", err)
		}
	}
	if err := checkCommitted(ctx, topic, ""); err != nil {
		return "", err
	}
	return fmt.Sprintf("2 members x 2 partitions, committed offset %d on 4 partitions", compat.GroupCommitOffset), nil
}

func groupResumeCheck() (string, error) {
	topic := args.Prefix + "-group"
	ctx, cancel := withTimeout(40 * time.Second)
	defer cancel()
	if err := checkCommitted(ctx, topic, " after restart"); err != nil {
		return "", err
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{args.Bootstrap}, GroupID: topic, Topic: topic,
		HeartbeatInterval: time.Second, SessionTimeout: 10 * time.Second, MaxWait: 500 * time.Millisecond})
	defer r.Close()
	first := map[int]kafka.Message{}
	for len(first) < compat.GroupPartitions {
		// FetchMessage, not ReadMessage: nothing is committed by reading.
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return "", fmt.Errorf("received from %d partitions only: %w", len(first), err)
		}
		if _, seen := first[m.Partition]; !seen {
			first[m.Partition] = m
		}
	}
	for p, m := range first {
		if err := compat.Expect(fmt.Sprintf("first offset of partition %d", p), m.Offset, compat.GroupCommitOffset); err != nil {
			return "", err
		}
		i := int(m.Offset)*compat.GroupPartitions + p
		if string(m.Key) != string(compat.Key(i)) {
			return "", fmt.Errorf("partition %d offset %d has key %q, expected %q", p, m.Offset, m.Key, compat.Key(i))
		}
	}
	return fmt.Sprintf("resumed at offset %d on 4 partitions (group Reader)", compat.GroupCommitOffset), nil
}

func main() {
	args = compat.ParseArgs()
	scenarios := compat.Scenarios{Metadata: metadata, ListOffsets: listOffsets, Idempotent: idempotent, LongPoll: longPoll,
		GroupResumeCommit: groupResumeCommit, GroupResumeCheck: groupResumeCheck, ProduceConsume: produceConsume}.Map()
	compat.Run(args, []string{"kafka-go " + compat.ModuleVersion("github.com/segmentio/kafka-go")}, scenarios)
}
