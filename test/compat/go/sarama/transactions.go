// The transactions scenario of docs/compat.md for Sarama: consume-transform-produce in a consumer
// group with a transactional SyncProducer (AddMessageToTxn commits the offsets in the
// transaction), one aborted transaction, then read_committed and read_uncommitted readers and the
// group's committed offsets checked.
package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"highwater/compat/internal/compat"
)

func txnProducer(id string) (sarama.SyncProducer, error) {
	c := config()
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Idempotent = true
	c.Producer.Transaction.ID = id
	c.Producer.Retry.Max = 10
	c.Net.MaxOpenRequests = 1
	return sarama.NewSyncProducer(brokers(), c)
}

// txnHandler turns each claim's records into transactions of up to 50 records, one at a time.
type txnHandler struct {
	producer  sarama.SyncProducer
	output    string
	group     string
	mu        sync.Mutex
	processed int
	txns      int
	err       error
}

func (h *txnHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *txnHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *txnHandler) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		var batch []*sarama.ConsumerMessage
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			batch = append(batch, m)
		case <-session.Context().Done():
			return nil
		}
	drain:
		for len(batch) < 50 {
			select {
			case m, ok := <-claim.Messages():
				if !ok {
					break drain
				}
				batch = append(batch, m)
			case <-time.After(50 * time.Millisecond):
				break drain
			}
		}
		if err := h.transaction(batch); err != nil {
			h.mu.Lock()
			h.err = err
			h.mu.Unlock()
			return err
		}
	}
}

func (h *txnHandler) transaction(batch []*sarama.ConsumerMessage) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.producer.BeginTxn(); err != nil {
		return err
	}
	out := make([]*sarama.ProducerMessage, len(batch))
	for i, m := range batch {
		out[i] = &sarama.ProducerMessage{Topic: h.output, Partition: m.Partition, Key: sarama.ByteEncoder(m.Key),
			Value: sarama.ByteEncoder(append(append([]byte{}, m.Value...), "-out"...))}
	}
	if err := h.producer.SendMessages(out); err != nil {
		_ = h.producer.AbortTxn()
		return err
	}
	if err := h.producer.AddMessageToTxn(batch[len(batch)-1], h.group, nil); err != nil {
		_ = h.producer.AbortTxn()
		return err
	}
	if err := h.producer.CommitTxn(); err != nil {
		return err
	}
	h.processed += len(batch)
	h.txns++
	return nil
}

func (h *txnHandler) state() (int, int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.processed, h.txns, h.err
}

// readTxnOutput reads the output topic from the start until count records arrived, then 2 s more.
func readTxnOutput(topic string, isolation sarama.IsolationLevel, count int) ([]compat.TxnRecord, error) {
	c := config()
	c.Consumer.IsolationLevel = isolation
	c.Consumer.MaxWaitTime = 500 * time.Millisecond
	consumer, err := sarama.NewConsumer(brokers(), c)
	if err != nil {
		return nil, err
	}
	defer consumer.Close()
	var mu sync.Mutex
	var records []compat.TxnRecord
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for p := int32(0); p < compat.TxnPartitions; p++ {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			close(stop)
			wg.Wait()
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer pc.Close()
			for {
				select {
				case m := <-pc.Messages():
					mu.Lock()
					records = append(records, compat.TxnRecord{Partition: m.Partition, Key: m.Key, Value: m.Value})
					mu.Unlock()
				case <-stop:
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(records)
		mu.Unlock()
		if n >= count {
			time.Sleep(2 * time.Second)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	return records, nil
}

func transactions() (string, error) {
	input, output, group := args.Prefix+"-txn-in", args.Prefix+"-txn-out", args.Prefix+"-txn-group"
	for _, topic := range []string{input, output} {
		if err := createTopic(topic, compat.TxnPartitions); err != nil {
			return "", err
		}
	}
	plain, err := producer("all", "none", true)
	if err != nil {
		return "", err
	}
	inputs := make([]*sarama.ProducerMessage, compat.TxnInput)
	for i := range inputs {
		inputs[i] = &sarama.ProducerMessage{Topic: input, Partition: int32(i % compat.TxnPartitions),
			Key: sarama.ByteEncoder(compat.Key(i)), Value: sarama.ByteEncoder(compat.Value(i))}
	}
	err = plain.SendMessages(inputs)
	plain.Close()
	if err != nil {
		return "", err
	}

	txn, err := txnProducer(args.Prefix + "-txn")
	if err != nil {
		return "", err
	}
	defer txn.Close()
	gc := groupConfig()
	gc.Consumer.IsolationLevel = sarama.ReadCommitted
	g, err := sarama.NewConsumerGroup(brokers(), group, gc)
	if err != nil {
		return "", err
	}
	h := &txnHandler{producer: txn, output: output, group: group}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{input}, h); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
				return
			}
		}
	}()
	for ctx.Err() == nil {
		if processed, _, err := h.state(); processed >= compat.TxnInput || err != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	g.Close()
	processed, txns, err := h.state()
	if err != nil {
		return "", err
	}
	if processed != compat.TxnInput {
		return "", fmt.Errorf("processed %d of %d input records", processed, compat.TxnInput)
	}

	// One transaction aborted, then a committed one a read_committed reader must get past it to.
	if err := txn.BeginTxn(); err != nil {
		return "", err
	}
	aborted := make([]*sarama.ProducerMessage, compat.TxnAborted)
	for i := range aborted {
		aborted[i] = &sarama.ProducerMessage{Topic: output, Partition: int32(i % compat.TxnPartitions),
			Key: sarama.StringEncoder(fmt.Sprintf("aborted-%d", i)), Value: sarama.StringEncoder("aborted")}
	}
	if err := txn.SendMessages(aborted); err != nil {
		return "", err
	}
	if err := txn.AbortTxn(); err != nil {
		return "", err
	}
	if err := txn.BeginTxn(); err != nil {
		return "", err
	}
	if _, _, err := txn.SendMessage(&sarama.ProducerMessage{Topic: output, Partition: 0, Key: sarama.StringEncoder("tail"), Value: sarama.StringEncoder("tail")}); err != nil {
		return "", err
	}
	if err := txn.CommitTxn(); err != nil {
		return "", err
	}

	committed, err := readTxnOutput(output, sarama.ReadCommitted, compat.TxnInput+1)
	if err == nil {
		err = compat.CheckTxnOutput(committed, false)
	}
	if err != nil {
		return "", err
	}
	uncommitted, err := readTxnOutput(output, sarama.ReadUncommitted, compat.TxnInput+1+compat.TxnAborted)
	if err == nil {
		err = compat.CheckTxnOutput(uncommitted, true)
	}
	if err != nil {
		return "", err
	}
	adm, err := admin()
	if err != nil {
		return "", err
	}
	defer adm.Close()
	fetched, err := adm.ListConsumerGroupOffsets(group, map[string][]int32{input: {0, 1, 2}})
	if err != nil {
		return "", err
	}
	for p := int32(0); p < compat.TxnPartitions; p++ {
		block := fetched.GetBlock(input, p)
		got := int64(-1)
		if block != nil {
			got = block.Offset
		}
		if err := compat.Expect(fmt.Sprintf("group's committed offset of %s-%d", input, p), got, compat.TxnInput/compat.TxnPartitions); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d records in %d transactions (consumer group + AddMessageToTxn), %d aborted: read_committed %d, read_uncommitted %d",
		compat.TxnInput, txns, compat.TxnAborted, len(committed), len(uncommitted)), nil
}
