// Command agentsim behaves like a MultiAgents framework deployment on the event bus: it runs
// workflows of steps over named workers and publishes every command, result, compensation and
// status event on the real channels with the framework's JSON (or pushes them to the
// multiagents receiver's HTTP endpoint). Failure, timeout and slow-step rates are set per
// worker and can change during the run (--phase), so alerts can be watched firing and resolving.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
)

func main() {
	// go-redis logs every failed dial itself; agentsim reports connection problems once, in its own words.
	redis.SetLogger(quietLogger{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// run is the whole program; it returns the exit code: 0 after a run that delivered every
// event, 1 when events could not be delivered, 2 for bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintf(stderr, "agentsim: %v\n", err)
		return 2
	}
	return simulate(ctx, opts, stdout, stderr)
}
