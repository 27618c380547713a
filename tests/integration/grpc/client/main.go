// redeye-grpc-client: the gRPC client of redeye's integration tests. No metrics code: it
// makes the calls it is told to on ONE channel (one TCP connection) and prints what it got.
//
//	redeye-grpc-client --addr 127.0.0.1:PORT --calls KIND=N[,KIND=N...] [--concurrency C]
//	                   [--timeout DUR [--timeout-jitter DUR]] [--then KIND=N,...] [--wait-go]
//
// Kinds (method -> expected status):
//
//	check-ok        grpc.health.v1.Health/Check "redeye.test.Known"   -> OK
//	check-notfound  grpc.health.v1.Health/Check "redeye.test.Unknown" -> NOT_FOUND
//	echo[:BYTES]    redeye.test.Test/Echo with a payload of BYTES (default 16) -> OK
//	fail            redeye.test.Test/Fail                                   -> INTERNAL
//	slow-deadline   redeye.test.Test/Slow, deadline 400ms, server would sleep 5s: the server
//	                answers DEADLINE_EXCEEDED 100ms before the deadline    -> DEADLINE_EXCEEDED
//	hang-cancel     redeye.test.Test/Hang, the client cancels after 150ms   -> CANCELLED
//	hang-deadline   redeye.test.Test/Hang, deadline 200ms: the client gives up -> DEADLINE_EXCEEDED
//	stream[:K]      redeye.test.Test/Stream (server streaming), K messages (default 5) -> OK
//	watch           grpc.health.v1.Health/Watch (server streaming): first message, then
//	                the client cancels                                      -> CANCELLED
//
// Steps: with --wait-go, print {"event":"started"} and wait for a stdin line ("go"); dial
// (WithBlock), print {"event":"connected"}. Run --calls with C goroutines; print one JSON line
// {"event":"phase","phase":1,"calls":{METHOD:{STATUS:N}},"unexpected":N,...}. With --then:
// wait for a stdin line, run those calls on the same channel, print phase 2. Then wait for
// stdin EOF or a line ("exit") and close the channel. Every call is bounded in time (--timeout
// for the plain calls when given, 10s otherwise).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	wrapperspb "github.com/golang/protobuf/ptypes/wrappers"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// OpenTelemetry / gRPC status names (rpc.response.status_code).
var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

type call struct {
	kind   string
	arg    int
	method string
	expect codes.Code
}

func parseCalls(spec string) ([]call, error) {
	var out []call
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	for _, item := range strings.Split(spec, ",") {
		kv := strings.SplitN(strings.TrimSpace(item), "=", 2)
		if len(kv) != 2 {
			return nil, fmt.Errorf("%q: want KIND=COUNT", item)
		}
		n, err := strconv.Atoi(kv[1])
		if err != nil || n < 0 || n > 1000000 {
			return nil, fmt.Errorf("%q: bad count", item)
		}
		kindArg := strings.SplitN(kv[0], ":", 2)
		c := call{kind: kindArg[0]}
		if len(kindArg) == 2 {
			if c.arg, err = strconv.Atoi(kindArg[1]); err != nil {
				return nil, fmt.Errorf("%q: bad argument", item)
			}
		}
		switch c.kind {
		case "check-ok":
			c.method, c.expect = "grpc.health.v1.Health/Check", codes.OK
		case "check-notfound":
			c.method, c.expect = "grpc.health.v1.Health/Check", codes.NotFound
		case "echo":
			c.method, c.expect = "redeye.test.Test/Echo", codes.OK
			if len(kindArg) == 1 {
				c.arg = 16
			}
		case "fail":
			c.method, c.expect = "redeye.test.Test/Fail", codes.Internal
		case "slow-deadline":
			c.method, c.expect = "redeye.test.Test/Slow", codes.DeadlineExceeded
		case "hang-cancel":
			c.method, c.expect = "redeye.test.Test/Hang", codes.Canceled
		case "hang-deadline":
			c.method, c.expect = "redeye.test.Test/Hang", codes.DeadlineExceeded
		case "stream":
			c.method, c.expect = "redeye.test.Test/Stream", codes.OK
			if len(kindArg) == 1 {
				c.arg = 5
			}
		case "watch":
			c.method, c.expect = "grpc.health.v1.Health/Watch", codes.Canceled
		default:
			return nil, fmt.Errorf("unknown call kind %q", c.kind)
		}
		for i := 0; i < n; i++ {
			out = append(out, c)
		}
	}
	return out, nil
}

type runner struct {
	conn    *grpc.ClientConn
	health  healthpb.HealthClient
	timeout time.Duration
	jitter  time.Duration // added to timeout per call, uniformly in [0, jitter), whole ms

	mu         sync.Mutex
	counts     map[string]map[string]int
	unexpected []string
	messages   int
}

func (r *runner) ctx() (context.Context, context.CancelFunc) {
	if r.timeout > 0 {
		d := r.timeout
		if r.jitter >= time.Millisecond {
			d += time.Duration(rand.Int63n(int64(r.jitter/time.Millisecond))) * time.Millisecond
		}
		return context.WithTimeout(context.Background(), d)
	}
	// Bounded all the same, but without a deadline on the wire (no grpc-timeout header).
	ctx, cancel := context.WithCancel(context.Background())
	t := time.AfterFunc(10*time.Second, cancel)
	return ctx, func() { t.Stop(); cancel() }
}

func (r *runner) one(c call) {
	var err error
	msgs := 0
	switch c.kind {
	case "check-ok", "check-notfound":
		svc := "redeye.test.Known"
		if c.kind == "check-notfound" {
			svc = "redeye.test.Unknown"
		}
		ctx, cancel := r.ctx()
		_, err = r.health.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		cancel()
	case "echo", "fail":
		ctx, cancel := r.ctx()
		out := new(wrapperspb.BytesValue)
		in := &wrapperspb.BytesValue{Value: []byte(strings.Repeat("x", c.arg))}
		if c.kind == "fail" {
			in.Value = []byte("fail")
		}
		err = r.conn.Invoke(ctx, "/"+c.method, in, out)
		cancel()
		if err == nil && c.kind == "echo" && len(out.Value) != c.arg {
			err = status.Errorf(codes.DataLoss, "echo: %d bytes back, sent %d", len(out.Value), c.arg)
		}
	case "slow-deadline":
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		err = r.conn.Invoke(ctx, "/"+c.method, &wrapperspb.BytesValue{Value: []byte("5000")},
			new(wrapperspb.BytesValue))
		cancel()
	case "hang-cancel":
		ctx, cancel := context.WithCancel(context.Background())
		t := time.AfterFunc(150*time.Millisecond, cancel)
		err = r.conn.Invoke(ctx, "/"+c.method, &wrapperspb.BytesValue{}, new(wrapperspb.BytesValue))
		t.Stop()
		cancel()
	case "hang-deadline":
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err = r.conn.Invoke(ctx, "/"+c.method, &wrapperspb.BytesValue{}, new(wrapperspb.BytesValue))
		cancel()
	case "stream":
		ctx, cancel := r.ctx()
		var s grpc.ClientStream
		s, err = r.conn.NewStream(ctx, &grpc.StreamDesc{StreamName: "Stream", ServerStreams: true}, "/"+c.method)
		if err == nil {
			err = s.SendMsg(&wrapperspb.BytesValue{Value: []byte(strconv.Itoa(c.arg))})
		}
		if err == nil {
			err = s.CloseSend()
		}
		for err == nil {
			m := new(wrapperspb.BytesValue)
			if err = s.RecvMsg(m); err == nil {
				msgs++
			}
		}
		if err == io.EOF {
			err = nil
			if msgs != c.arg {
				err = status.Errorf(codes.DataLoss, "stream: %d messages, wanted %d", msgs, c.arg)
			}
		}
		cancel()
	case "watch":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var w healthpb.Health_WatchClient
		w, err = r.health.Watch(ctx, &healthpb.HealthCheckRequest{Service: "redeye.test.Known"})
		if err == nil {
			_, err = w.Recv()
		}
		if err == nil {
			msgs++
			cancel()
			_, err = w.Recv() // the cancellation, as the application sees it
		}
		cancel()
	}
	code := status.Code(err)
	name, ok := codeNames[code]
	if !ok {
		name = code.String()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts[c.method] == nil {
		r.counts[c.method] = map[string]int{}
	}
	r.counts[c.method][name]++
	r.messages += msgs
	if code != c.expect && len(r.unexpected) < 20 {
		r.unexpected = append(r.unexpected, fmt.Sprintf("%s (%s): got %s: %v", c.kind, c.method, name, err))
	}
}

func (r *runner) run(calls []call, concurrency int) {
	work := make(chan call)
	var wg sync.WaitGroup
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				r.one(c)
			}
		}()
	}
	for _, c := range calls {
		work <- c
	}
	close(work)
	wg.Wait()
}

func emit(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func main() {
	addr := flag.String("addr", "", "server address HOST:PORT")
	callsSpec := flag.String("calls", "", "first phase: KIND=N,...")
	thenSpec := flag.String("then", "", "second phase, after a stdin line: KIND=N,...")
	concurrency := flag.Int("concurrency", 1, "goroutines making calls at once")
	timeout := flag.Duration("timeout", 0, "deadline of the plain calls (0: none on the wire)")
	jitter := flag.Duration("timeout-jitter", 0, "spread the plain calls' deadlines over [timeout, timeout+jitter): "+
		"distinct grpc-timeout values, each a new HPACK dynamic-table entry")
	waitGo := flag.Bool("wait-go", false, "wait for a stdin line before dialing")
	_ = flag.String("tag", "", "ignored: a marker on the command line for the agent's config rules")
	flag.Parse()
	if *addr == "" || *concurrency < 1 || *concurrency > 1024 {
		fmt.Fprintln(os.Stderr, "usage: redeye-grpc-client --addr HOST:PORT --calls KIND=N,...")
		os.Exit(2)
	}
	phases := [][]call{}
	for _, spec := range []string{*callsSpec, *thenSpec} {
		calls, err := parseCalls(spec)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		phases = append(phases, calls)
	}
	stdin := bufio.NewReader(os.Stdin)
	line := func() { _, _ = stdin.ReadString('\n') }

	if *waitGo {
		emit(map[string]interface{}{"event": "started", "pid": os.Getpid()})
		line()
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	conn, err := grpc.DialContext(dctx, *addr, grpc.WithInsecure(), grpc.WithBlock())
	dcancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(3)
	}
	emit(map[string]interface{}{"event": "connected"})
	r := &runner{conn: conn, health: healthpb.NewHealthClient(conn), timeout: *timeout, jitter: *jitter}
	for i, calls := range phases {
		if i == 1 {
			if *thenSpec == "" {
				break
			}
			line()
		}
		r.mu.Lock()
		r.counts, r.unexpected, r.messages = map[string]map[string]int{}, nil, 0
		r.mu.Unlock()
		t0 := time.Now()
		r.run(calls, *concurrency)
		emit(map[string]interface{}{
			"event": "phase", "phase": i + 1, "calls": r.counts, "total": len(calls),
			"unexpected": r.unexpected, "stream_messages": r.messages,
			"seconds": time.Since(t0).Seconds(),
		})
	}
	line() // "exit" or EOF
	conn.Close()
}
