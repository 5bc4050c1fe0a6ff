package collectortest

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// WriteCPUProfile takes a CPU profile of the collector whose pprof extension listens on
// pprofAddr, for seconds, and writes it to path.
func WriteCPUProfile(pprofAddr, path string, seconds int) error {
	client := &http.Client{Timeout: time.Duration(seconds+30) * time.Second}
	resp, err := client.Get(URL(pprofAddr, fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof answered %s", resp.Status)
	}
	return os.WriteFile(path, data, 0o644)
}
