// Package scripts holds the tests of the build scripts in this directory.
package scripts

import (
	"os/exec"
	"strings"
	"testing"
)

// The logs in testdata are ocb v0.165.0 runs on this project's manifest (download lines and the
// proxy's host left out): as shipped, and with an exporter module that the proxy does not serve.
func TestCheckOCBTidy(t *testing.T) {
	for _, tc := range []struct {
		log      string
		wantOK   bool
		wantText string
	}{
		{log: "testdata/ocb-tolerated.log", wantOK: true, wantText: "known unserved test-only modules"},
		{log: "testdata/ocb-missing-component.log", wantOK: false,
			wantText: "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/loadbalancingexporter@v0.165.1"},
	} {
		t.Run(tc.log, func(t *testing.T) {
			out, err := exec.Command("bash", "check-ocb-tidy.sh", tc.log).CombinedOutput()
			if ok := err == nil; ok != tc.wantOK {
				t.Fatalf("exit ok=%v, want %v; output:\n%s", ok, tc.wantOK, out)
			}
			if !strings.Contains(string(out), tc.wantText) {
				t.Errorf("output does not name %q:\n%s", tc.wantText, out)
			}
		})
	}
}

// A failure that names no module (ocb itself broke) is never tolerated.
func TestCheckOCBTidyUnknownFailure(t *testing.T) {
	out, err := exec.Command("bash", "-c", `printf 'Error: failed to update go.mod: something else\n' > "$1"; bash check-ocb-tidy.sh "$1"`,
		"sh", t.TempDir()+"/ocb.log").CombinedOutput()
	if err == nil {
		t.Fatalf("an ocb failure without an unserved module was tolerated:\n%s", out)
	}
	if !strings.Contains(string(out), "without naming an unserved module") {
		t.Errorf("unexpected output:\n%s", out)
	}
}
