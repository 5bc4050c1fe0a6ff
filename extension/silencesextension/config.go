package silencesextension

import (
	"errors"
	"fmt"
	"net"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
)

// Config is the configuration of the silences extension.
type Config struct {
	// ServerConfig is the HTTP server of the API (endpoint, TLS, auth, ...).
	confighttp.ServerConfig `mapstructure:",squash"`
	// Storage names a storage extension (e.g. file_storage) that keeps the silences across
	// restarts. Unset: silences live in memory only and a restart forgets them.
	Storage *component.ID `mapstructure:"storage"`
	// MaxSilences bounds the silences held, expired ones included. When full, the oldest
	// expired silences make room; a new silence is refused only when all are pending or active.
	MaxSilences int `mapstructure:"max_silences"`
	// Retention is how long an expired silence is still listed (amtool silence query
	// --expired) before it is forgotten.
	Retention time.Duration `mapstructure:"retention"`

	_ struct{}
}

var _ component.Config = (*Config)(nil)

// maxSilencesLimit keeps max_silences in the range where holding, matching and storing every
// silence stays cheap: each firing alert is matched against every active silence at each
// evaluation, and the whole set is rewritten to storage on every change.
const maxSilencesLimit = 100000

// Validate checks the configuration; each error names its key.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: must be set (host:port, e.g. localhost:19093)"))
	} else if _, _, err := net.SplitHostPort(cfg.NetAddr.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("endpoint: %q is not host:port: %w", cfg.NetAddr.Endpoint, err))
	}
	if cfg.MaxSilences <= 0 || cfg.MaxSilences > maxSilencesLimit {
		errs = append(errs, fmt.Errorf("max_silences: must be between 1 and %d, got %d", maxSilencesLimit, cfg.MaxSilences))
	}
	if cfg.Retention < 0 {
		errs = append(errs, fmt.Errorf("retention: must not be negative, got %s", cfg.Retention))
	}
	return errors.Join(errs...)
}
