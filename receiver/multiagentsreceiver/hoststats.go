package multiagentsreceiver

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
)

// hostSampler reads host CPU and memory utilisation from /proc (Linux). CPU is the busy
// share of all CPU time since the previous sample; on other systems both are unknown and
// the two gauges are simply not emitted.
type hostSampler struct {
	procRoot string

	mu        sync.Mutex
	lastBusy  uint64
	lastTotal uint64
}

func newHostSampler() *hostSampler {
	s := &hostSampler{procRoot: "/proc"}
	s.sample() // prime the CPU baseline
	return s
}

func (s *hostSampler) sample() hostUtilisation {
	var u hostUtilisation
	if busy, total, ok := s.readCPU(); ok {
		s.mu.Lock()
		if dt := total - s.lastTotal; s.lastTotal != 0 && total > s.lastTotal {
			u.cpuPercent = 100 * float64(busy-s.lastBusy) / float64(dt)
			u.cpuOK = true
		}
		s.lastBusy, s.lastTotal = busy, total
		s.mu.Unlock()
	}
	u.memoryPercent, u.memoryOK = s.readMemory()
	return u
}

// readCPU returns busy and total jiffies from the aggregate "cpu" line of /proc/stat.
func (s *hostSampler) readCPU() (busy, total uint64, ok bool) {
	data, err := os.ReadFile(s.procRoot + "/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0, false
	}
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		// user nice system idle iowait irq softirq steal guest guest_nice; guest time is
		// already included in user and nice.
		if i >= 8 {
			break
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total, true
}

// readMemory returns (MemTotal - MemAvailable) / MemTotal in percent.
func (s *hostSampler) readMemory() (float64, bool) {
	f, err := os.Open(s.procRoot + "/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var totalKB, availKB uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "MemTotal":
			totalKB = v
		case "MemAvailable":
			availKB = v
		}
	}
	if totalKB == 0 || availKB > totalKB {
		return 0, false
	}
	return 100 * float64(totalKB-availKB) / float64(totalKB), true
}
