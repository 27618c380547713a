// redeye-grpc-server: the gRPC server of redeye's integration tests (Go, grpc-go from Debian,
// built in GOPATH mode with GO111MODULE=off; no generated code of its own).
//
// Services on --addr (plaintext h2c):
//   - grpc.health.v1.Health (grpc/health, pre-generated): Check("redeye.test.Known") -> OK,
//     Check(anything else) -> NOT_FOUND; Watch: server-streaming, sends the status, then
//     waits until the client goes away (-> CANCELLED).
//   - redeye.test.Test, a hand-written grpc.ServiceDesc whose messages are
//     google.protobuf.BytesValue (github.com/golang/protobuf/ptypes/wrappers, pre-generated; Debian's
//     golang/protobuf is 1.3, so APIv2 wrapperspb would not marshal):
//     Echo (unary)      -> OK, answers its payload
//     Fail (unary)      -> INTERNAL "redeye: failing on purpose"
//     Slow (unary)      -> sleeps the payload's decimal milliseconds; if the call's deadline
//     comes first, answers DEADLINE_EXCEEDED itself DEADLINE_MARGIN before the
//     deadline, so that the status is on the wire (trailers) before the client
//     gives up
//     Hang (unary)      -> waits until the call ends (client cancel or deadline), answers the
//     context's status
//     Stream (server streaming) -> the payload's decimal count of messages, then OK
//
// Ground truth: go-grpc-prometheus interceptors (grpc_server_started_total,
// grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}) served on
// --metrics-addr at /metrics. Prints "listening <addr> metrics <addr>" once both listen.
// Exits on SIGTERM/SIGINT (GracefulStop, bounded) or when stdin closes with --stdin-exit.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	wrapperspb "github.com/golang/protobuf/ptypes/wrappers"
	grpc_prometheus "github.com/grpc-ecosystem/go-grpc-prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

const knownService = "redeye.test.Known"

const deadlineMargin = 100 * time.Millisecond

type testServer struct{}

func payloadInt(m *wrapperspb.BytesValue, def int) int {
	n, err := strconv.Atoi(string(m.GetValue()))
	if err != nil {
		return def
	}
	return n
}

func unary(name string, fn func(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
			in := new(wrapperspb.BytesValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, req interface{}) (interface{}, error) {
				return fn(ctx, req.(*wrapperspb.BytesValue))
			}
			if interceptor == nil {
				return handler(ctx, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/redeye.test.Test/" + name}
			return interceptor(ctx, in, info, handler)
		},
	}
}

func echo(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	return &wrapperspb.BytesValue{Value: in.GetValue()}, nil
}

func fail(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	return nil, status.Error(codes.Internal, "redeye: failing on purpose")
}

func slow(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	sleep := time.Duration(payloadInt(in, 1000)) * time.Millisecond
	if dl, ok := ctx.Deadline(); ok && time.Until(dl)-deadlineMargin < sleep {
		wait := time.Until(dl) - deadlineMargin
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		}
		return nil, status.Error(codes.DeadlineExceeded, "redeye: deadline would pass")
	}
	select {
	case <-time.After(sleep):
		return &wrapperspb.BytesValue{Value: []byte("slept")}, nil
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func hang(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	select {
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	case <-time.After(60 * time.Second): // bounded
		return nil, status.Error(codes.Aborted, "redeye: nobody ended the call")
	}
}

func streamHandler(srv interface{}, stream grpc.ServerStream) error {
	in := new(wrapperspb.BytesValue)
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	n := payloadInt(in, 1)
	if n > 100000 {
		n = 100000
	}
	for i := 0; i < n; i++ {
		if err := stream.SendMsg(&wrapperspb.BytesValue{Value: []byte(fmt.Sprintf("message %d", i))}); err != nil {
			return err
		}
	}
	return nil
}

var testServiceDesc = grpc.ServiceDesc{
	ServiceName: "redeye.test.Test",
	HandlerType: (*interface{})(nil),
	Methods: []grpc.MethodDesc{
		unary("Echo", echo), unary("Fail", fail), unary("Slow", slow), unary("Hang", hang),
	},
	Streams: []grpc.StreamDesc{
		{StreamName: "Stream", Handler: streamHandler, ServerStreams: true},
	},
	Metadata: "redeye_test.proto",
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "gRPC listen address")
	metricsAddr := flag.String("metrics-addr", "127.0.0.1:0", "go-grpc-prometheus /metrics listen address")
	stdinExit := flag.Bool("stdin-exit", false, "exit when stdin reaches EOF")
	flag.Parse()

	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(2)
	}
	mlis, err := net.Listen("tcp", *metricsAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen metrics:", err)
		os.Exit(2)
	}

	srv := grpc.NewServer(
		grpc.UnaryInterceptor(grpc_prometheus.UnaryServerInterceptor),
		grpc.StreamInterceptor(grpc_prometheus.StreamServerInterceptor),
	)
	hs := health.NewServer()
	hs.SetServingStatus(knownService, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	srv.RegisterService(&testServiceDesc, &testServer{})
	grpc_prometheus.Register(srv) // every method's series at 0 from the start

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	go func() { _ = http.Serve(mlis, mux) }()
	go func() {
		if err := srv.Serve(lis); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(2)
		}
	}()
	fmt.Printf("listening %s metrics %s\n", lis.Addr(), mlis.Addr())

	done := make(chan os.Signal, 2)
	signal.Notify(done, syscall.SIGTERM, syscall.SIGINT)
	if *stdinExit {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			done <- syscall.SIGTERM
		}()
	}
	<-done
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		srv.Stop()
	}
}
