// Command notifysink is a local stand-in for Slack incoming webhooks and the PagerDuty Events
// API v2. It answers as they do (Slack: 200 "ok"; PagerDuty: 202 JSON, 400 for invalid events)
// and prints every request it receives as one readable line, so a demo or a manual test shows
// what the collector's notifiers sent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("notifysink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8099", "`host:port` to listen on (port 0 picks a free one)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "notifysink: a local Slack webhook (POST any path) and PagerDuty Events API v2 (POST /v2/enqueue)\nthat prints each notification it receives.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "notifysink: --listen %s: %v\n", *listen, err)
		return 1
	}
	s := newSink(stdout)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	base := "http://" + ln.Addr().String()
	s.printf("[sink] listening: Slack webhook %s/services/demo, PagerDuty %s%s", base, base, pagerDutyPath)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(stderr, "notifysink: %v\n", err)
		return 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	c := s.Counts()
	s.printf("[sink] received: Slack %d firing, %d resolved, %d other; PagerDuty %d trigger, %d resolve, %d acknowledge; %d rejected",
		c.SlackFiring, c.SlackResolved, c.SlackOther, c.PDTrigger, c.PDResolve, c.PDAcknowledge, c.Rejected)
	return 0
}
