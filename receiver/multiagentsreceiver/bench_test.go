package multiagentsreceiver

import (
	"fmt"
	"runtime"
	"testing"

	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
)

// ecommerceEvents returns the raw JSON of one realistic e-commerce transaction (status,
// four command/result pairs, status), as the framework publishes it, with channels.
func ecommerceEvents(tx string) (channels, bodies []string) {
	add := func(channel, body string) {
		channels = append(channels, channel)
		bodies = append(bodies, body)
	}
	const wf = "ecommerce_order_processing"
	add(ch+"status.workflow", statusEvent("s-"+tx, tx, wf, "2025-08-05T00:46:10.412233", "running", "Workflow started"))
	for i, step := range []string{"validate_order", "check_inventory", "process_payment", "send_confirmation"} {
		cmd := fmt.Sprintf("%s-c%d", tx, i)
		add(ch+"command."+step, commandEvent(cmd, tx, wf, step, step, fmt.Sprintf("2025-08-05T00:46:1%d.415902", i+1), 30,
			`{"order": {"id": "ORDER-1754354770", "total_amount": 1059.97, "items": [{"sku": "A-1", "qty": 2, "price": 499.99}, {"sku": "B-7", "qty": 1, "price": 59.99}], "payment_info": {"method": "credit_card", "card_last4": "1234"}}, "customer_name": "John Doe", "customer_email": "john@example.com"}`))
		add(ch+"result."+step, resultEvent(fmt.Sprintf("%s-r%d", tx, i), tx, step, step, cmd, fmt.Sprintf("2025-08-05T00:46:1%d.921554", i+1), true, "",
			`{"valid": true, "order_id": "ORDER-1754354770", "score": NaN}`))
	}
	add(ch+"status.workflow", statusEvent("e-"+tx, tx, wf, "2025-08-05T00:46:19.712233", "completed", "Workflow completed"))
	return channels, bodies
}

// BenchmarkDecodeAssemble measures one event through decode and assembly (spans, logs
// with redaction, metric updates): ns/op and allocs/op are per event.
func BenchmarkDecodeAssemble(b *testing.B) {
	benchmarkDecodeAssemble(b, false)
}

// BenchmarkDecodeAssembleNeverEnding is the same without the workflow statuses: no
// transaction ends, and every one is evicted at max_open (the eviction path).
func BenchmarkDecodeAssembleNeverEnding(b *testing.B) {
	benchmarkDecodeAssemble(b, true)
}

func benchmarkDecodeAssemble(b *testing.B, neverEnding bool) {
	const txs = 1000
	var channels []string
	var bodies [][]byte
	for i := 0; i < txs; i++ {
		c, bs := ecommerceEvents(fmt.Sprintf("bench-%08d-0000-4000-8000-000000000000", i))
		if neverEnding {
			c, bs = c[1:len(c)-1], bs[1:len(bs)-1]
		}
		channels = append(channels, c...)
		for _, body := range bs {
			bodies = append(bodies, []byte(body))
		}
	}
	cfg := createDefaultConfig().(*Config)
	if neverEnding {
		cfg.Transactions.MaxOpen = txs / 10
	}
	u := newUnitAssembler(&testing.T{}, nil)
	u.assembler = newAssembler(cfg, zap.NewNop(), u.assembler.telemetry, u.clock.Now, true)
	out := newOutputBatch()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(bodies)
		if j == 0 && i > 0 {
			// A new round reuses transaction ids: forget that they ended.
			u.assembler.ended = newRecentSet(recentCapacity)
			u.assembler.commands = newRecentSet(recentCapacity)
		}
		ev, err := eventcodec.Decode(bodies[j])
		if err != nil {
			b.Fatal(err)
		}
		u.assembler.apply(ev, channels[j], out)
		if i%maxBatchEvents == maxBatchEvents-1 {
			out = newOutputBatch() // what the processor hands to the pipeline
		}
	}
}

// BenchmarkDecode is the decoder alone, for comparison.
func BenchmarkDecode(b *testing.B) {
	_, bodies := ecommerceEvents("3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b")
	raw := make([][]byte, len(bodies))
	for i := range bodies {
		raw[i] = []byte(bodies[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := eventcodec.Decode(raw[i%len(raw)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenTransactionMemory reports the heap held per open transaction (a started
// workflow with one step in flight), excluding payloads, which are never kept.
func BenchmarkOpenTransactionMemory(b *testing.B) {
	const open = 20000
	for n := 0; n < b.N; n++ {
		cfg := createDefaultConfig().(*Config)
		cfg.Transactions.MaxOpen = open
		u := newUnitAssembler(&testing.T{}, nil)
		a := newAssembler(cfg, zap.NewNop(), u.assembler.telemetry, u.clock.Now, false)
		var bodies [][]byte
		for i := 0; i < open; i++ {
			tx := fmt.Sprintf("%08d-9a1d-4e7b-b0c2-5d6e7f809a1b", i)
			bodies = append(bodies,
				[]byte(statusEvent("s-"+tx, tx, "ecommerce_order_processing", "2025-08-05T00:46:10.412233", "running", "Workflow started")),
				[]byte(commandEvent(fmt.Sprintf("%08d-c000-4000-8000-000000000001", i), tx, "ecommerce_order_processing", "validate_order", "validate_order", "2025-08-05T00:46:10.415902", 30, `{}`)))
		}
		out := newOutputBatch()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, body := range bodies {
			ev, err := eventcodec.Decode(body)
			if err != nil {
				b.Fatal(err)
			}
			a.apply(ev, "", out)
		}
		out = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(a.open) != open {
			b.Fatalf("%d open", len(a.open))
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/open, "B/open-tx")
		runtime.KeepAlive(bodies)
		runtime.KeepAlive(a)
	}
}
