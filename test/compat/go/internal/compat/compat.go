// Package compat is shared by the Go compatibility drivers (franz-go, Sarama): arguments, the
// records every driver writes, their verification and the PASS/FAIL/SKIP lines of docs/compat.md.
package compat

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

const (
	Records                  = 5000
	Partitions               = 3
	GroupPartitions          = 4
	GroupRecordsPerPartition = 100
	GroupCommitOffset        = 50
	LongPollMaxWaitMs        = 5000
	// The transactions scenario (docs/compat.md): input records, aborted records, partitions.
	TxnInput      = 300
	TxnAborted    = 10
	TxnPartitions = 3
)

var Codecs = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// All is what "--scenario all" runs: everything before the broker restart.
func All() []string {
	names := []string{"metadata"}
	for _, codec := range Codecs {
		names = append(names, "produce-consume-"+codec)
	}
	return append(names, "list-offsets", "idempotent", "long-poll", "transactions", "group-resume-1")
}

var pad = strings.Repeat("0123456789", 8)

func Key(i int) []byte   { return []byte("key-" + strconv.Itoa(i)) }
func Value(i int) []byte { return []byte("value-" + strconv.Itoa(i) + "-" + pad) }

type Header struct {
	Key   string
	Value []byte
}

func Headers(i int, client string) []Header {
	return []Header{{"index", []byte(strconv.Itoa(i))}, {"client", []byte(client)}}
}

// Record is what a driver read back, whatever its client's own record type.
type Record struct {
	Offset  int64
	Key     []byte
	Value   []byte
	Headers []Header
}

// TxnRecord is a record of the transactions scenario's output topic as read back.
type TxnRecord struct {
	Partition  int32
	Key, Value []byte
}

// CheckTxnOutput: every input record transformed exactly once (value + "-out", same partition),
// the committed "tail" record written after the abort, and the aborted records only when
// read_uncommitted.
func CheckTxnOutput(records []TxnRecord, withAborted bool) error {
	what := "read_committed"
	wantAborted := 0
	if withAborted {
		what, wantAborted = "read_uncommitted", TxnAborted
	}
	seen := map[string]bool{}
	aborted := 0
	for _, r := range records {
		k := string(r.Key)
		if seen[k] {
			return fmt.Errorf("%s: key %s read twice", what, k)
		}
		seen[k] = true
		if strings.HasPrefix(k, "aborted-") {
			aborted++
			continue
		}
		if k == "tail" {
			continue
		}
		i, err := strconv.Atoi(strings.TrimPrefix(k, "key-"))
		if err != nil {
			return fmt.Errorf("%s: unexpected key %q", what, k)
		}
		if !bytes.Equal(r.Value, append(Value(i), []byte("-out")...)) {
			return fmt.Errorf("%s: value of %s differs", what, k)
		}
		if int(r.Partition) != i%TxnPartitions {
			return fmt.Errorf("%s: %s in partition %d", what, k, r.Partition)
		}
	}
	if aborted != wantAborted {
		return fmt.Errorf("%s: %d aborted records, expected %d", what, aborted, wantAborted)
	}
	if len(records) != TxnInput+1+wantAborted {
		return fmt.Errorf("%s: %d records, expected %d", what, len(records), TxnInput+1+wantAborted)
	}
	if !seen["tail"] {
		return fmt.Errorf("%s: the committed record after the abort was not read", what)
	}
	return nil
}

// ErrSkip marks a scenario the client cannot do.
type ErrSkip struct{ Why string }

func (e ErrSkip) Error() string { return e.Why }

// Verify checks every record arrived once, in order per partition, with key, value and headers.
func Verify(byPartition map[int32][]Record, count, partitions int, client string) error {
	total := 0
	for p := 0; p < partitions; p++ {
		records := byPartition[int32(p)]
		expected := (count - p + partitions - 1) / partitions
		if len(records) != expected {
			return fmt.Errorf("partition %d: %d records, expected %d", p, len(records), expected)
		}
		for j, r := range records {
			i := j*partitions + p
			if r.Offset != int64(j) {
				return fmt.Errorf("partition %d: record %d has offset %d", p, j, r.Offset)
			}
			if !bytes.Equal(r.Key, Key(i)) || !bytes.Equal(r.Value, Value(i)) {
				return fmt.Errorf("partition %d offset %d: key %q differs from record %d", p, j, r.Key, i)
			}
			want := Headers(i, client)
			same := len(r.Headers) == len(want)
			for h := 0; same && h < len(want); h++ {
				same = r.Headers[h].Key == want[h].Key && bytes.Equal(r.Headers[h].Value, want[h].Value)
			}
			if !same {
				return fmt.Errorf("partition %d offset %d: headers differ", p, j)
			}
		}
		total += len(records)
	}
	if total != count {
		return fmt.Errorf("%d records read, expected %d", total, count)
	}
	return nil
}

func Expect(what string, got, want int64) error {
	if got != want {
		return fmt.Errorf("%s: got %d, expected %d", what, got, want)
	}
	return nil
}

// Args are the driver's command line.
type Args struct {
	Bootstrap string
	Scenario  string
	Prefix    string
}

func ParseArgs() Args {
	var a Args
	flag.StringVar(&a.Bootstrap, "bootstrap", "127.0.0.1:9092", "broker host:port")
	flag.StringVar(&a.Scenario, "scenario", "all", "scenario name, comma list, or all")
	flag.StringVar(&a.Prefix, "topic-prefix", "compat-go", "prefix of every topic and group")
	flag.Parse()
	return a
}

// Run prints the client versions, then one result line per scenario.
func Run(args Args, versions []string, scenarios map[string]func() (string, error)) {
	for _, v := range versions {
		fmt.Println("VERSION " + v)
	}
	names := All()
	if args.Scenario != "all" {
		names = strings.Split(args.Scenario, ",")
	}
	for _, name := range names {
		run, ok := scenarios[name]
		if !ok {
			fmt.Printf("SKIP %s: unknown scenario\n", name)
			continue
		}
		detail, err := run()
		var skip ErrSkip
		switch {
		case errors.As(err, &skip):
			fmt.Printf("SKIP %s: %s\n", name, skip.Why)
		case err != nil:
			fmt.Printf("FAIL %s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", " "))
		case detail != "":
			fmt.Printf("PASS %s: %s\n", name, detail)
		default:
			fmt.Printf("PASS %s\n", name)
		}
		os.Stdout.Sync()
	}
}

// Scenarios is what a driver implements; Map names each function as docs/compat.md does.
type Scenarios struct {
	Metadata, ListOffsets, Idempotent, LongPoll func() (string, error)
	GroupResumeCommit, GroupResumeCheck         func() (string, error)
	// Transactions is nil for a client without transactions: the scenario is then SKIPped.
	Transactions   func() (string, error)
	ProduceConsume func(codec string) func() (string, error)
}

func (s Scenarios) Map() map[string]func() (string, error) {
	named := map[string]func() (string, error){
		"metadata":       s.Metadata,
		"list-offsets":   s.ListOffsets,
		"idempotent":     s.Idempotent,
		"long-poll":      s.LongPoll,
		"group-resume-1": s.GroupResumeCommit,
		"group-resume-2": s.GroupResumeCheck,
		"transactions":   s.Transactions,
	}
	if s.Transactions == nil {
		named["transactions"] = func() (string, error) { return "", ErrSkip{"not supported by the client (no transactional producer)"} }
	}
	for _, codec := range Codecs {
		named["produce-consume-"+codec] = s.ProduceConsume(codec)
	}
	return named
}

// ModuleVersion is the version of a module the driver was built with, from its build info.
func ModuleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == path {
				return dep.Version
			}
		}
	}
	return "unknown"
}
