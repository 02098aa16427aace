// Consumes a topic from the start with franz-go (kgo), which uses KIP-227 incremental fetch
// sessions by default, and prints how many records it read; bench/partitions/franz-sessions.sh
// reads the broker's fetch-session metrics around it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	bootstrap := flag.String("bootstrap", "127.0.0.1:25092", "broker")
	topic := flag.String("topic", "", "topic to read")
	want := flag.Int("records", 0, "records to read")
	timeout := flag.Duration("timeout", 60*time.Second, "bound on the whole read")
	flag.Parse()
	cl, err := kgo.NewClient(kgo.SeedBrokers(*bootstrap), kgo.ConsumeTopics(*topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	read := 0
	for read < *want {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			fmt.Fprintf(os.Stderr, "timeout after %d records\n", read)
			os.Exit(1)
		}
		fetches.EachError(func(t string, p int32, err error) { fmt.Fprintf(os.Stderr, "%s/%d: %v\n", t, p, err) })
		read += fetches.NumRecords()
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("franz-go read %d records in %.2f s (%.0f records/s)\n", read, secs, float64(read)/secs)
}
