package multiagentsreceiver

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
)

// sharedReceivers holds one receiver per component configuration, so that the same
// multiagents receiver in the traces, metrics and logs pipelines shares one Redis
// connection and one transaction store. Collector core's sharedcomponent package does the
// same for otlpreceiver but is internal to core, hence this small copy.
type sharedReceivers struct {
	mu        sync.Mutex
	receivers map[*Config]*sharedReceiver
}

var receivers = &sharedReceivers{receivers: map[*Config]*sharedReceiver{}}

// loadOrStore returns the receiver for cfg, creating it on first use.
func (m *sharedReceivers) loadOrStore(cfg *Config, create func() (*multiAgentsReceiver, error)) (*sharedReceiver, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.receivers[cfg]; ok {
		return r, nil
	}
	inner, err := create()
	if err != nil {
		return nil, err
	}
	r := &sharedReceiver{inner: inner, remove: func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.receivers, cfg)
	}}
	m.receivers[cfg] = r
	return r, nil
}

// sharedReceiver starts and stops the wrapped receiver once, however many pipelines hold it,
// and forwards its status reports to the hosts of all of them.
type sharedReceiver struct {
	inner  *multiAgentsReceiver
	remove func()

	startOnce sync.Once
	startErr  error
	stopOnce  sync.Once
	host      *fanoutHost
}

func (s *sharedReceiver) Start(ctx context.Context, host component.Host) error {
	s.startOnce.Do(func() {
		s.host = &fanoutHost{Host: host}
		s.host.addReporter(host)
		s.startErr = s.inner.Start(ctx, s.host)
	})
	s.host.addReporter(host)
	return s.startErr
}

func (s *sharedReceiver) Shutdown(ctx context.Context) error {
	var err error
	s.stopOnce.Do(func() {
		err = s.inner.Shutdown(ctx)
		s.remove()
	})
	return err
}

// fanoutHost reports status events to every pipeline's host, replaying the latest one
// to a host that joins later so that it starts with the current state.
type fanoutHost struct {
	component.Host
	mu        sync.Mutex
	reporters []componentstatus.Reporter
	seen      map[componentstatus.Reporter]bool
	last      *componentstatus.Event
}

func (h *fanoutHost) addReporter(host component.Host) {
	r, ok := host.(componentstatus.Reporter)
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[componentstatus.Reporter]bool{}
	}
	if h.seen[r] {
		return
	}
	h.seen[r] = true
	h.reporters = append(h.reporters, r)
	if h.last != nil {
		r.Report(h.last)
	}
}

func (h *fanoutHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = ev
	for _, r := range h.reporters {
		r.Report(ev)
	}
}
