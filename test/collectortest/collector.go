// Package collectortest runs the built otelcol-multiagents binary in end-to-end tests:
// free loopback ports for every listener, captured logs, and a SIGTERM stop that reports the exit code.
package collectortest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary returns the collector binary named by OTELCOL_BIN (set by `make smoke`), or bin/ at the repo root.
func Binary(tb testing.TB) string {
	tb.Helper()
	path := os.Getenv("OTELCOL_BIN")
	if path == "" {
		path = filepath.Join(RepoRoot(tb), "bin", "otelcol-multiagents")
	}
	if _, err := os.Stat(path); err != nil {
		tb.Fatalf("collector binary %s not found: run `make build` first (make smoke does): %v", path, err)
	}
	return path
}

// RepoRoot is the repository root, found from this source file.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("collectortest: cannot locate source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// FreeAddr returns 127.0.0.1:<port> for a port that was free a moment ago.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("collectortest: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Ports are the listeners of one collector instance, all on free loopback ports.
type Ports struct {
	Prometheus, Health, ZPages, PProf, OTLPGRPC, OTLPHTTP, Telemetry, EventsHTTP, Silences string
}

// NewPorts picks free ports for every listener of the shipped config.
func NewPorts(tb testing.TB) Ports {
	return Ports{
		Prometheus: FreeAddr(tb), Health: FreeAddr(tb), ZPages: FreeAddr(tb), PProf: FreeAddr(tb),
		OTLPGRPC: FreeAddr(tb), OTLPHTTP: FreeAddr(tb), Telemetry: FreeAddr(tb), EventsHTTP: FreeAddr(tb),
		Silences: FreeAddr(tb),
	}
}

// SetFlags moves every listener of the shipped config onto p, so tests never collide with a
// collector already running on the default ports.
func (p Ports) SetFlags() []string {
	return []string{
		"--set=extensions::health_check::endpoint=" + p.Health,
		"--set=extensions::zpages::endpoint=" + p.ZPages,
		"--set=extensions::pprof::endpoint=" + p.PProf,
		"--set=receivers::otlp::protocols::grpc::endpoint=" + p.OTLPGRPC,
		"--set=receivers::otlp::protocols::http::endpoint=" + p.OTLPHTTP,
		"--set=exporters::prometheus::endpoint=" + p.Prometheus,
		"--set=receivers::multiagents::http::endpoint=" + p.EventsHTTP,
		"--set=extensions::silences::endpoint=" + p.Silences,
	}
}

// Env moves the listeners that --set cannot reach (inside lists) through the config's env vars.
func (p Ports) Env() []string {
	return []string{"OTELCOL_TELEMETRY_PORT=" + strconv.Itoa(Port(p.Telemetry))}
}

// Process is one running collector.
type Process struct {
	cmd  *exec.Cmd
	logs *SyncBuffer
	done chan struct{}
	err  error
}

// Start runs the binary with args and extra environment (KEY=VALUE); the process is killed when tb ends.
func Start(tb testing.TB, args []string, env ...string) *Process {
	tb.Helper()
	cmd := exec.Command(Binary(tb), args...)
	cmd.Dir = RepoRoot(tb)
	cmd.Env = append(os.Environ(), env...)
	logs := &SyncBuffer{}
	cmd.Stdout = logs
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start collector: %v", err)
	}
	p := &Process{cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if tb.Failed() {
			tb.Logf("collector logs:\n%s", p.Logs())
		}
	})
	return p
}

// PID is the collector's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Logs returns everything the collector wrote so far.
func (p *Process) Logs() string { return p.logs.String() }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit by itself and returns its exit code.
func (p *Process) Wait(timeout time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		return -1, fmt.Errorf("collector did not exit within %s", timeout)
	}
	return p.exitCode()
}

// Stop sends SIGTERM and returns the exit code, or an error if it did not exit within timeout.
func (p *Process) Stop(timeout time.Duration) (int, error) {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return -1, err
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		return -1, fmt.Errorf("collector did not exit within %s of SIGTERM", timeout)
	}
	return p.exitCode()
}

func (p *Process) exitCode() (int, error) {
	var exitErr *exec.ExitError
	if errors.As(p.err, &exitErr) {
		return exitErr.ExitCode(), nil
	}
	if p.err != nil {
		return -1, p.err
	}
	return 0, nil
}

// Get fetches url and returns status and body; it retries connection errors until timeout.
func Get(url string, timeout time.Duration) (int, string, error) {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, readErr := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(body), readErr
		}
		if time.Now().After(deadline) {
			return 0, "", err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Eventually polls cond every interval until it returns true or timeout passes.
func Eventually(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

// URL builds http://addr/path.
func URL(addr, path string) string { return "http://" + addr + path }

// Port returns the port number of addr.
func Port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// SyncBuffer collects a process's output, written from the process's own goroutines, while a
// test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
