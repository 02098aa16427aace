// Compatibility driver for franz-go (kgo + kadm): the scenarios of docs/compat.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"highwater/compat/internal/compat"
)

const client = "franz-go"

var args compat.Args

func newClient(opts ...kgo.Opt) (*kgo.Client, error) {
	all, err := clientOpts(opts...)
	if err != nil {
		return nil, err
	}
	return kgo.NewClient(all...)
}

// clientOpts are the seed broker, client id and the runner's security settings, then opts.
func clientOpts(opts ...kgo.Opt) ([]kgo.Opt, error) {
	base := []kgo.Opt{kgo.SeedBrokers(args.Bootstrap), kgo.ClientID("highwater-compat-franz-go")}
	// The runner's security mode (test/compat/run.ts --security).
	sec := compat.SecurityFromEnv()
	if sec.UsesTLS() {
		cfg, err := sec.TLSConfig()
		if err != nil {
			return nil, err
		}
		base = append(base, kgo.DialTLSConfig(cfg))
	}
	if sec.UsesSASL() {
		switch sec.Mechanism {
		case "PLAIN":
			base = append(base, kgo.SASL(plain.Auth{User: sec.Username, Pass: sec.Password}.AsMechanism()))
		case "SCRAM-SHA-256":
			base = append(base, kgo.SASL(scram.Auth{User: sec.Username, Pass: sec.Password}.AsSha256Mechanism()))
		default:
			base = append(base, kgo.SASL(scram.Auth{User: sec.Username, Pass: sec.Password}.AsSha512Mechanism()))
		}
	}
	return append(base, opts...), nil
}

func withTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// createTopic creates the topic and waits until every partition answers ListOffsets: Kafka's
// leader learns of a new partition a moment after CreateTopics returns, and an acks=0 record sent
// before then is dropped without a word.
func createTopic(topic string, partitions int32) error {
	cl, err := newClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := withTimeout(20 * time.Second)
	defer cancel()
	created, err := adm.CreateTopics(ctx, partitions, 1, nil, topic)
	if err != nil {
		return err
	}
	if err := created.Error(); err != nil {
		return err
	}
	for ctx.Err() == nil {
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err == nil && ends.Error() == nil && len(ends[topic]) == int(partitions) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s: not every partition answers ListOffsets after 20 s", topic)
}

func codecOf(name string) kgo.CompressionCodec {
	switch name {
	case "gzip":
		return kgo.GzipCompression()
	case "snappy":
		return kgo.SnappyCompression()
	case "lz4":
		return kgo.Lz4Compression()
	case "zstd":
		return kgo.ZstdCompression()
	}
	return kgo.NoCompression()
}

func producer(acks string, codec string, idempotent bool) (*kgo.Client, error) {
	opts := []kgo.Opt{
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(codecOf(codec)),
		kgo.ProducerLinger(5 * time.Millisecond),
	}
	switch acks {
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	default:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	}
	if !idempotent {
		// Without idempotence a retried batch would overtake the next one.
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(1))
	}
	return newClient(opts...)
}

func produce(cl *kgo.Client, topic string, count, partitions int) error {
	records := make([]*kgo.Record, count)
	for i := range records {
		hs := compat.Headers(i, client)
		headers := make([]kgo.RecordHeader, len(hs))
		for h, header := range hs {
			headers[h] = kgo.RecordHeader{Key: header.Key, Value: header.Value}
		}
		records[i] = &kgo.Record{Topic: topic, Partition: int32(i % partitions), Key: compat.Key(i),
			Value: compat.Value(i), Headers: headers}
	}
	ctx, cancel := withTimeout(30 * time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, records...).FirstErr()
}

func consumeAll(topic string, count, partitions int) (map[int32][]compat.Record, error) {
	offsets := map[int32]kgo.Offset{}
	for p := 0; p < partitions; p++ {
		offsets[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl, err := newClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	byPartition := map[int32][]compat.Record{}
	received := 0
	ctx, cancel := withTimeout(30 * time.Second)
	defer cancel()
	for received < count && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		for _, fetchErr := range fetches.Errors() {
			if !errors.Is(fetchErr.Err, context.DeadlineExceeded) {
				return nil, fetchErr.Err
			}
		}
		fetches.EachRecord(func(r *kgo.Record) {
			headers := make([]compat.Header, len(r.Headers))
			for h, header := range r.Headers {
				headers[h] = compat.Header{Key: header.Key, Value: header.Value}
			}
			byPartition[r.Partition] = append(byPartition[r.Partition],
				compat.Record{Offset: r.Offset, Key: r.Key, Value: r.Value, Headers: headers})
			received++
		})
	}
	return byPartition, nil
}

func metadata() (string, error) {
	topic := args.Prefix + "-meta"
	if err := createTopic(topic, compat.Partitions); err != nil {
		return "", err
	}
	cl, err := newClient()
	if err != nil {
		return "", err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := withTimeout(30 * time.Second)
	defer cancel()
	meta, err := adm.Metadata(ctx, topic)
	if err != nil {
		return "", err
	}
	if len(meta.Brokers) < 1 {
		return "", errors.New("no brokers in Metadata")
	}
	if got := len(meta.Topics[topic].Partitions); got != compat.Partitions {
		return "", fmt.Errorf("Metadata shows %d partitions", got)
	}
	listed, err := adm.ListTopics(ctx)
	if err != nil {
		return "", err
	}
	if !listed.Has(topic) {
		return "", fmt.Errorf("%s not listed", topic)
	}
	deleted, err := adm.DeleteTopics(ctx, topic)
	if err == nil {
		err = deleted.Error()
	}
	if err != nil {
		return "", err
	}
	for {
		listed, err := adm.ListTopics(ctx)
		if err != nil {
			return "", fmt.Errorf("%s still listed after delete: %w", topic, err)
		}
		if !listed.Has(topic) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Sprintf("%d broker(s); create, list, delete", len(meta.Brokers)), nil
}

func produceConsume(codec string) func() (string, error) {
	return func() (string, error) {
		for _, acks := range []string{"0", "1", "all"} {
			topic := fmt.Sprintf("%s-pc-%s-acks%s", args.Prefix, codec, acks)
			if err := createTopic(topic, compat.Partitions); err != nil {
				return "", err
			}
			cl, err := producer(acks, codec, false)
			if err != nil {
				return "", err
			}
			err = produce(cl, topic, compat.Records, compat.Partitions)
			cl.Close()
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
	cl, err := producer("all", "none", false)
	if err != nil {
		return "", err
	}
	records := make([]*kgo.Record, 10)
	for i := range records {
		records[i] = &kgo.Record{Topic: topic, Partition: 0, Key: compat.Key(i), Value: compat.Value(i),
			Timestamp: time.UnixMilli(base + int64(i)*1000)}
	}
	ctx, cancel := withTimeout(30 * time.Second)
	defer cancel()
	err = cl.ProduceSync(ctx, records...).FirstErr()
	cl.Close()
	if err != nil {
		return "", err
	}
	admClient, err := newClient()
	if err != nil {
		return "", err
	}
	defer admClient.Close()
	adm := kadm.NewClient(admClient)
	start, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return "", err
	}
	end, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return "", err
	}
	after, err := adm.ListOffsetsAfterMilli(ctx, base+5500, topic)
	if err != nil {
		return "", err
	}
	for _, check := range []struct {
		what    string
		offsets kadm.ListedOffsets
		want    int64
	}{{"earliest", start, 0}, {"latest", end, 10}, {"for timestamp base+5.5s", after, 6}} {
		listed, ok := check.offsets.Lookup(topic, 0)
		if !ok {
			return "", fmt.Errorf("%s: partition 0 missing", check.what)
		}
		if listed.Err != nil {
			return "", fmt.Errorf("%s: %w", check.what, listed.Err)
		}
		if err := compat.Expect(check.what, listed.Offset, check.want); err != nil {
			return "", err
		}
	}
	return "earliest 0, latest 10, timestamp -> 6 (kadm)", nil
}

func idempotent() (string, error) {
	topic := args.Prefix + "-idem"
	count := 1000
	if err := createTopic(topic, compat.Partitions); err != nil {
		return "", err
	}
	cl, err := producer("all", "none", true)
	if err != nil {
		return "", err
	}
	err = produce(cl, topic, count, compat.Partitions)
	cl.Close()
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
	return fmt.Sprintf("%d records, idempotent writes (franz-go default)", count), nil
}

func longPoll() (string, error) {
	topic := args.Prefix + "-lp"
	if err := createTopic(topic, 1); err != nil {
		return "", err
	}
	prod, err := producer("1", "none", false)
	if err != nil {
		return "", err
	}
	defer prod.Close()
	cons, err := newClient(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(0)}}),
		kgo.FetchMaxWait(compat.LongPollMaxWaitMs*time.Millisecond), kgo.FetchMinBytes(1))
	if err != nil {
		return "", err
	}
	defer cons.Close()
	var sentAt time.Time
	var sendErr error
	done := make(chan struct{})
	// The consumer is inside PollFetches, behind a fetch the broker holds open, when this sends.
	go func() {
		defer close(done)
		time.Sleep(time.Second)
		sentAt = time.Now()
		ctx, cancel := withTimeout(10 * time.Second)
		defer cancel()
		sendErr = prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: 0, Key: compat.Key(0),
			Value: compat.Value(0)}).FirstErr()
	}()
	ctx, cancel := withTimeout(3 * compat.LongPollMaxWaitMs * time.Millisecond)
	defer cancel()
	received := 0
	for received == 0 && ctx.Err() == nil {
		received = cons.PollFetches(ctx).NumRecords()
	}
	receivedAt := time.Now()
	<-done
	if sendErr != nil {
		return "", sendErr
	}
	if received == 0 {
		return "", errors.New("record not received")
	}
	latency := receivedAt.Sub(sentAt).Milliseconds()
	if latency >= compat.LongPollMaxWaitMs/2 {
		return "", fmt.Errorf("received after %d ms, max wait %d", latency, compat.LongPollMaxWaitMs)
	}
	return fmt.Sprintf("%d ms produce->consume, FetchMaxWait=%d ms", latency, compat.LongPollMaxWaitMs), nil
}

// member is one consumer of the group, polling in its own goroutine, with the partitions the
// group gave it.
type member struct {
	cl       *kgo.Client
	mu       sync.Mutex
	assigned map[int32]bool
}

func (m *member) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.assigned)
}

func newMember(topic string) (*member, error) {
	m := &member{assigned: map[int32]bool{}}
	cl, err := newClient(kgo.ConsumerGroup(topic), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(time.Second),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, added map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range added[topic] {
				m.assigned[p] = true
			}
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range lost[topic] {
				delete(m.assigned, p)
			}
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range lost[topic] {
				delete(m.assigned, p)
			}
		}))
	m.cl = cl
	return m, err
}

func groupResumeCommit() (string, error) {
	topic := args.Prefix + "-group"
	if err := createTopic(topic, compat.GroupPartitions); err != nil {
		return "", err
	}
	prod, err := producer("all", "none", false)
	if err != nil {
		return "", err
	}
	err = produce(prod, topic, compat.GroupPartitions*compat.GroupRecordsPerPartition, compat.GroupPartitions)
	prod.Close()
	if err != nil {
		return "", err
	}
	ctx, cancel := withTimeout(60 * time.Second)
	defer cancel()
	var members []*member
	var polling sync.WaitGroup
	stop, stopPolling := context.WithCancel(ctx)
	for k := 0; k < 2; k++ {
		m, err := newMember(topic)
		if err != nil {
			stopPolling()
			return "", err
		}
		members = append(members, m)
		polling.Add(1)
		go func() {
			defer polling.Done()
			for stop.Err() == nil {
				m.cl.PollFetches(stop)
			}
		}()
	}
	defer func() {
		stopPolling()
		polling.Wait()
		for _, m := range members {
			m.cl.Close()
		}
	}()
	for !(members[0].count() == 2 && members[1].count() == 2) {
		if ctx.Err() != nil {
			return "", fmt.Errorf("group did not settle on 2+2 partitions: %d/%d", members[0].count(), members[1].count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, m := range members {
		commit := map[int32]kgo.EpochOffset{}
		m.mu.Lock()
		for p := range m.assigned {
			commit[p] = kgo.EpochOffset{Epoch: -1, Offset: compat.GroupCommitOffset}
		}
		m.mu.Unlock()
		var commitErr error
		m.cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{topic: commit},
			func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
				commitErr = err
				if err == nil {
					commitErr = commitResponseError(resp)
				}
			})
		if commitErr != nil {
			return "", fmt.Errorf("commit: %w", commitErr)
		}
	}
	if err := checkCommitted(ctx, members[0].cl, topic, ""); err != nil {
		return "", err
	}
	return fmt.Sprintf("2 members x 2 partitions, committed offset %d on 4 partitions", compat.GroupCommitOffset), nil
}

func commitResponseError(resp *kmsg.OffsetCommitResponse) error {
	for _, topic := range resp.Topics {
		for _, partition := range topic.Partitions {
			if err := kerr.ErrorForCode(partition.ErrorCode); err != nil {
				return fmt.Errorf("partition %d: %w", partition.Partition, err)
			}
		}
	}
	return nil
}

func checkCommitted(ctx context.Context, cl *kgo.Client, topic, when string) error {
	fetched, err := kadm.NewClient(cl).FetchOffsets(ctx, topic)
	if err != nil {
		return err
	}
	for p := int32(0); p < compat.GroupPartitions; p++ {
		committed, ok := fetched.Lookup(topic, p)
		offset := int64(-1)
		if ok && committed.Err == nil {
			offset = committed.At
		}
		if err := compat.Expect(fmt.Sprintf("committed partition %d%s", p, when), offset, compat.GroupCommitOffset); err != nil {
			return err
		}
	}
	return nil
}

func groupResumeCheck() (string, error) {
	topic := args.Prefix + "-group"
	ctx, cancel := withTimeout(40 * time.Second)
	defer cancel()
	adminClient, err := newClient()
	if err != nil {
		return "", err
	}
	err = checkCommitted(ctx, adminClient, topic, " after restart")
	adminClient.Close()
	if err != nil {
		return "", err
	}
	cl, err := newClient(kgo.ConsumerGroup(topic), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit())
	if err != nil {
		return "", err
	}
	defer cl.Close()
	first := map[int32]int64{}
	var keyErr error
	for len(first) < compat.GroupPartitions && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if _, seen := first[r.Partition]; seen {
				return
			}
			first[r.Partition] = r.Offset
			i := int(r.Offset)*compat.GroupPartitions + int(r.Partition)
			if string(r.Key) != string(compat.Key(i)) && keyErr == nil {
				keyErr = fmt.Errorf("partition %d offset %d has key %q, expected %q", r.Partition, r.Offset, r.Key, compat.Key(i))
			}
		})
	}
	if keyErr != nil {
		return "", keyErr
	}
	if len(first) < compat.GroupPartitions {
		return "", fmt.Errorf("received from %d partitions only", len(first))
	}
	for p, offset := range first {
		if err := compat.Expect(fmt.Sprintf("first offset of partition %d", p), offset, compat.GroupCommitOffset); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("resumed at offset %d on 4 partitions", compat.GroupCommitOffset), nil
}

func main() {
	args = compat.ParseArgs()
	scenarios := compat.Scenarios{Metadata: metadata, ListOffsets: listOffsets, Idempotent: idempotent, LongPoll: longPoll,
		GroupResumeCommit: groupResumeCommit, GroupResumeCheck: groupResumeCheck, ProduceConsume: produceConsume,
		Transactions: transactions}.Map()
	compat.Run(args, []string{fmt.Sprintf("franz-go %s (kadm %s)", compat.ModuleVersion("github.com/twmb/franz-go"),
		compat.ModuleVersion("github.com/twmb/franz-go/pkg/kadm"))}, scenarios)
}
