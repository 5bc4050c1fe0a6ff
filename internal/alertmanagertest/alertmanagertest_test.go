package alertmanagertest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStartAmtoolRestart posts an alert the way any client does, sees it with amtool, and sees
// that a restart on the same port comes back empty (alerts live in memory only).
func TestStartAmtoolRestart(t *testing.T) {
	hook := NewWebhook(t)
	am := Start(t, Options{WebhookURL: hook.URL()})
	body := `[{"labels":{"alertname":"probe","worker_name":"w1"},"annotations":{"summary":"s"},"endsAt":"` +
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}]`
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: HTTP %d", resp.StatusCode)
	}
	var alerts []struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal([]byte(am.Amtool("alert", "query", "-o", "json")), &alerts); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Labels["worker_name"] != "w1" {
		t.Fatalf("amtool alert query: %+v, want the probe alert", alerts)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(hook.Notifications()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("webhook got nothing; Alertmanager log:\n%s", am.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := hook.Notifications()[0]; n.Status != "firing" || len(n.Alerts) != 1 || n.Alerts[0].Labels["alertname"] != "probe" {
		t.Fatalf("webhook notification: %+v", n)
	}

	am.Restart()
	if out := strings.TrimSpace(am.Amtool("alert", "query", "-o", "json")); out != "[]" {
		t.Fatalf("after restart: %s, want no alerts", out)
	}
	if _, err := Amtool(t, "http://127.0.0.1:1", "alert", "query"); err == nil {
		t.Fatal("amtool against a closed port: want an error")
	}
}
