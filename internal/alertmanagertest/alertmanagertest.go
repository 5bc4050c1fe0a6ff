// Package alertmanagertest runs the real Alertmanager and amtool for integration tests: it
// finds the binaries (failing with an install hint, never skipping), starts Alertmanager on a
// free loopback port with a temp storage path and no clustering, restarts it on the same port,
// and runs amtool against it. Tests never mock Alertmanager.
package alertmanagertest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// InstallHint is what a machine without Alertmanager needs; .ci/run does the same. The policy-rc.d
// guard stops apt from starting Alertmanager as a service.
const InstallHint = "prometheus-alertmanager is not installed: run `printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && " +
	"apt-get update && apt-get install -y --no-install-recommends prometheus-alertmanager; rm -f /usr/sbin/policy-rc.d` (what .ci/run does on a fresh machine)"

// alertmanagerNames are the binary's names: Debian's, then upstream's.
var alertmanagerNames = []string{"prometheus-alertmanager", "alertmanager"}

// AlertmanagerBinary returns the path of the Alertmanager binary, or fails tb with InstallHint.
func AlertmanagerBinary(tb testing.TB) string {
	tb.Helper()
	for _, name := range alertmanagerNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	tb.Fatal(InstallHint)
	return ""
}

// AmtoolBinary returns the path of amtool, or fails tb with InstallHint.
func AmtoolBinary(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("amtool")
	if err != nil {
		tb.Fatal(InstallHint)
	}
	return path
}

// Options shape the Alertmanager's configuration.
type Options struct {
	// WebhookURL, when set, receives every notification (send_resolved on), so a test sees
	// what Alertmanager tells: firing and resolved. Empty: a receiver that tells nobody.
	WebhookURL string
	// Config replaces the whole generated configuration file when set.
	Config string
}

// Alertmanager is one Alertmanager process owned by a test.
type Alertmanager struct {
	// URL is the base URL, http://127.0.0.1:<port>.
	URL string

	tb      testing.TB
	bin     string
	port    int
	dir     string // holds the config file and the storage (silences, notification log)
	logPath string
	cmd     *exec.Cmd
}

// Start starts an Alertmanager for tb and stops it when tb ends. Routing groups by every label
// with 1 s waits, so a webhook receives each change about a second after it arrives.
func Start(tb testing.TB, opts Options) *Alertmanager {
	tb.Helper()
	bin := AlertmanagerBinary(tb)
	port, err := freePort()
	if err != nil {
		tb.Fatalf("alertmanagertest: no free port: %v", err)
	}
	dir := tb.TempDir()
	config := opts.Config
	if config == "" {
		config = defaultConfig(opts.WebhookURL)
	}
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(config), 0o600); err != nil {
		tb.Fatalf("alertmanagertest: write config: %v", err)
	}
	am := &Alertmanager{
		URL: "http://127.0.0.1:" + strconv.Itoa(port),
		tb:  tb, bin: bin, port: port, dir: dir, logPath: filepath.Join(dir, "alertmanager.log"),
	}
	am.start()
	tb.Cleanup(am.Stop)
	return am
}

func defaultConfig(webhookURL string) string {
	receiver := "  - name: default\n"
	if webhookURL != "" {
		receiver += "    webhook_configs:\n      - url: " + strconv.Quote(webhookURL) + "\n        send_resolved: true\n"
	}
	return "route:\n  receiver: default\n  group_by: ['...']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n" +
		"receivers:\n" + receiver
}

func (am *Alertmanager) start() {
	am.tb.Helper()
	logFile, err := os.OpenFile(am.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		am.tb.Fatalf("alertmanagertest: log file: %v", err)
	}
	defer logFile.Close()
	am.cmd = exec.Command(am.bin,
		"--config.file="+filepath.Join(am.dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(am.dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(am.port),
		"--cluster.listen-address=", // no gossip: a single instance, no port to collide on
		"--log.level=warn",
	)
	am.cmd.Stdout, am.cmd.Stderr = logFile, logFile
	if err := am.cmd.Start(); err != nil {
		am.tb.Fatalf("alertmanagertest: start %s: %v", am.bin, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if am.ready() {
			return
		}
		if time.Now().After(deadline) {
			am.Stop()
			am.tb.Fatalf("alertmanagertest: Alertmanager on %s not ready within 15s; its log:\n%s", am.URL, am.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (am *Alertmanager) ready() bool {
	resp, err := http.Get(am.URL + "/-/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop ends Alertmanager gracefully (SIGTERM, so it writes its silences and notification log
// to storage, as a service stop does) and waits for it; it is safe to call twice.
func (am *Alertmanager) Stop() {
	if am.cmd == nil || am.cmd.Process == nil {
		return
	}
	_ = am.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = am.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = am.cmd.Process.Kill()
		<-done
	}
	am.cmd = nil
}

// Restart starts Alertmanager again on the same port and storage, after Stop (or stops it
// first). Alerts live in its memory only, so it comes back without any; silences and the
// notification log come back from storage.
func (am *Alertmanager) Restart() {
	am.tb.Helper()
	am.Stop()
	am.start()
}

// Log is what Alertmanager wrote so far (warnings and errors), for failure messages.
func (am *Alertmanager) Log() string {
	data, _ := os.ReadFile(am.logPath)
	return string(data)
}

// Amtool runs amtool against this Alertmanager with args (e.g. "alert", "query", "-o", "json")
// and returns its standard output; it fails tb when amtool fails.
func (am *Alertmanager) Amtool(args ...string) string {
	am.tb.Helper()
	out, err := Amtool(am.tb, am.URL, args...)
	if err != nil {
		am.tb.Fatalf("amtool %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// Amtool runs amtool with --alertmanager.url=url and args, within 30 s, and returns its standard
// output; err carries its standard error. It works against anything that speaks Alertmanager's
// API v2 (e.g. the silences extension).
func Amtool(tb testing.TB, url string, args ...string) (string, error) {
	tb.Helper()
	bin := AmtoolBinary(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--alertmanager.url=" + url}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
