// The transactions scenario of docs/compat.md for franz-go: consume-transform-produce through a
// GroupTransactSession, one aborted transaction, then read_committed and read_uncommitted readers
// and the group's committed offsets checked.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"highwater/compat/internal/compat"
)

// readTxnOutput reads the output topic from the start until count records arrived, then 2 s more.
func readTxnOutput(topic string, isolation kgo.IsolationLevel, count int) ([]compat.TxnRecord, error) {
	offsets := map[int32]kgo.Offset{}
	for p := 0; p < compat.TxnPartitions; p++ {
		offsets[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl, err := newClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}), kgo.FetchIsolationLevel(isolation),
		kgo.FetchMaxWait(500*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var records []compat.TxnRecord
	ctx, cancel := withTimeout(30 * time.Second)
	defer cancel()
	var grace time.Time
	for ctx.Err() == nil && (grace.IsZero() || time.Now().Before(grace)) {
		pollCtx, pollCancel := context.WithTimeout(ctx, time.Second)
		fetches := cl.PollFetches(pollCtx)
		pollCancel()
		for _, fetchErr := range fetches.Errors() {
			if !errors.Is(fetchErr.Err, context.DeadlineExceeded) {
				return nil, fetchErr.Err
			}
		}
		fetches.EachRecord(func(r *kgo.Record) {
			records = append(records, compat.TxnRecord{Partition: r.Partition, Key: r.Key, Value: r.Value})
		})
		if grace.IsZero() && len(records) >= count {
			grace = time.Now().Add(2 * time.Second)
		}
	}
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
	inputs := make([]*kgo.Record, compat.TxnInput)
	for i := range inputs {
		inputs[i] = &kgo.Record{Topic: input, Partition: int32(i % compat.TxnPartitions), Key: compat.Key(i), Value: compat.Value(i)}
	}
	ctx, cancel := withTimeout(90 * time.Second)
	defer cancel()
	err = plain.ProduceSync(ctx, inputs...).FirstErr()
	plain.Close()
	if err != nil {
		return "", err
	}

	sessOpts, err := clientOpts(
		kgo.TransactionalID(args.Prefix+"-txn"), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(input), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(8*1024),
	)
	if err != nil {
		return "", err
	}
	sess, err := kgo.NewGroupTransactSession(sessOpts...)
	if err != nil {
		return "", err
	}
	processed, committedTxns := 0, 0
	for processed < compat.TxnInput && ctx.Err() == nil {
		fetches := sess.PollRecords(ctx, 50)
		if fetchErr := fetches.Err(); fetchErr != nil && !errors.Is(fetchErr, context.DeadlineExceeded) {
			sess.Close()
			return "", fetchErr
		}
		var out []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) {
			out = append(out, &kgo.Record{Topic: output, Partition: r.Partition, Key: r.Key, Value: append(append([]byte{}, r.Value...), "-out"...)})
		})
		if len(out) == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			sess.Close()
			return "", err
		}
		produceErr := sess.ProduceSync(ctx, out...).FirstErr()
		committed, endErr := sess.End(ctx, produceErr == nil)
		if produceErr != nil || endErr != nil {
			sess.Close()
			return "", fmt.Errorf("transaction: produce %v, end %v", produceErr, endErr)
		}
		if committed {
			processed += len(out)
			committedTxns++
		}
	}
	sess.Close()
	if processed < compat.TxnInput {
		return "", fmt.Errorf("processed %d of %d input records", processed, compat.TxnInput)
	}

	// One transaction aborted, then a committed one a read_committed reader must get past it to.
	txn, err := newClient(kgo.TransactionalID(args.Prefix+"-txn-2"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return "", err
	}
	defer txn.Close()
	if err := txn.BeginTransaction(); err != nil {
		return "", err
	}
	aborted := make([]*kgo.Record, compat.TxnAborted)
	for i := range aborted {
		aborted[i] = &kgo.Record{Topic: output, Partition: int32(i % compat.TxnPartitions), Key: []byte(fmt.Sprintf("aborted-%d", i)), Value: []byte("aborted")}
	}
	if err := txn.ProduceSync(ctx, aborted...).FirstErr(); err != nil {
		return "", err
	}
	if err := txn.EndTransaction(ctx, kgo.TryAbort); err != nil {
		return "", err
	}
	if err := txn.BeginTransaction(); err != nil {
		return "", err
	}
	if err := txn.ProduceSync(ctx, &kgo.Record{Topic: output, Partition: 0, Key: []byte("tail"), Value: []byte("tail")}).FirstErr(); err != nil {
		return "", err
	}
	if err := txn.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return "", err
	}

	committed, err := readTxnOutput(output, kgo.ReadCommitted(), compat.TxnInput+1)
	if err == nil {
		err = compat.CheckTxnOutput(committed, false)
	}
	if err != nil {
		return "", err
	}
	uncommitted, err := readTxnOutput(output, kgo.ReadUncommitted(), compat.TxnInput+1+compat.TxnAborted)
	if err == nil {
		err = compat.CheckTxnOutput(uncommitted, true)
	}
	if err != nil {
		return "", err
	}
	adm := kadm.NewClient(txn)
	offsets, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return "", err
	}
	for p := 0; p < compat.TxnPartitions; p++ {
		got, _ := offsets.Lookup(input, int32(p))
		if err := compat.Expect(fmt.Sprintf("group's committed offset of %s-%d", input, p), got.At, compat.TxnInput/compat.TxnPartitions); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d records in %d transactions (GroupTransactSession), %d aborted: read_committed %d, read_uncommitted %d",
		compat.TxnInput, committedTxns, compat.TxnAborted, len(committed), len(uncommitted)), nil
}
