package collectortest

import (
	"syscall"
	"time"
)

// Kill ends the collector with SIGKILL, as an OOM kill or a node loss does: no shutdown, nothing
// flushed. It waits until the process is gone.
func (p *Process) Kill(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !p.Exited() {
		return err
	}
	_, err := p.Wait(timeout)
	if err != nil {
		return err
	}
	return nil
}
