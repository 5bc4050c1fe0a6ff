package alertlabel

import "testing"

func TestName(t *testing.T) {
	for key, want := range map[string]string{
		"alertname":     "alertname",
		"worker.name":   "worker_name",
		"workflow.id":   "workflow_id",
		"team":          "team",
		"k8s-pod/name":  "k8s_pod_name",
		"9lives":        "key_9lives",
		"ünïcode":       "_n_code",
		"already_valid": "already_valid",
		"a..b":          "a__b", // as the prometheus exporter writes it (multiple underscores kept)
		"":              "",
		"__":            "",
	} {
		if got := Name(key); got != want {
			t.Errorf("Name(%q) = %q, want %q", key, got, want)
		}
	}
}
