// Package testredis starts a real redis-server on a free loopback port for integration tests.
// Tests never mock Redis: when redis-server is not installed they fail and say how to install it.
package testredis

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// InstallHint is what a machine without redis-server needs; .ci/run does the same.
const InstallHint = "redis-server is not installed: run `apt-get update && apt-get install -y redis-server` (what .ci/run does on a fresh machine)"

// Server is one redis-server process owned by a test.
type Server struct {
	// Addr is host:port of the server on 127.0.0.1.
	Addr string

	tb   testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
}

// Start starts a redis-server for tb and stops it when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatal(InstallHint)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatalf("testredis: no free port: %v", err)
	}
	s := &Server{tb: tb, port: port, dir: tb.TempDir(), Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	s.start()
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.tb.Helper()
	s.cmd = exec.Command("redis-server",
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--loglevel", "warning",
	)
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("testredis: start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.Ping(); err == nil {
			return
		} else if time.Now().After(deadline) {
			s.Stop()
			s.tb.Fatalf("testredis: redis-server on %s did not answer PING within 10s: %v", s.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (as a crash would) and waits for it; it is safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_, _ = s.cmd.Process.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port, after Stop.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.start()
}

// Ping sends PING over a raw connection and expects +PONG.
func (s *Server) Ping() error {
	_, err := s.Do("PING")
	return err
}

// Do sends one command in RESP over a fresh connection and returns the first reply line.
// It is enough for PUBLISH, SET and PING in tests that must not go through our own client code.
func (s *Server) Do(args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if strings.HasPrefix(line, "-") {
		return "", fmt.Errorf("redis: %s", line[1:])
	}
	return line, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
