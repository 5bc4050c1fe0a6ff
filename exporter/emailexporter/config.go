package emailexporter

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// The TLS modes of the connection to the SMTP server.
const (
	// TLSStartTLS connects in clear and upgrades with STARTTLS before anything else (port 587).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit = "implicit"
	// TLSNone never encrypts; allowed only with insecure: true.
	TLSNone = "none"
)

// Config is the configuration of the email exporter.
type Config struct {
	// Endpoint is the SMTP server as host:port. Empty disables the exporter (it logs so at start),
	// which lets one shipped config run where no mail server is set up.
	Endpoint string `mapstructure:"endpoint"`
	// TLS is how the connection is encrypted: starttls (default), implicit or none.
	TLS string `mapstructure:"tls"`
	// Insecure must be true for tls: none, so that clear-text mail is never an accident.
	Insecure bool `mapstructure:"insecure"`
	// CAFile is a PEM file of the certificate authorities trusted for the server's certificate,
	// instead of the system's (for a relay with a private CA).
	CAFile string `mapstructure:"ca_file"`
	// Username and Password log in (AUTH) when Username is set. The password is never logged.
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// From is the sender address; To the recipients. An empty To disables the exporter, as the
	// guide's handler does when ALERT_TO_EMAILS is empty.
	From string   `mapstructure:"from"`
	To   []string `mapstructure:"to"`
	// SubjectTemplate and BodyTemplate are Go text/templates over the mail's data (see README).
	// Empty keeps the built-in ones.
	SubjectTemplate string `mapstructure:"subject_template"`
	BodyTemplate    string `mapstructure:"body_template"`
	// TraceURLTemplate makes a link (in the HTML part) of each trace id the alerts carry: Go
	// text/template over {{ .TraceID }}. Empty: the ids as text. The text part shows the ids.
	TraceURLTemplate string `mapstructure:"trace_url_template"`
	// The settings every notifier shares: min_severity, send_resolved, group_by, group_wait
	// (30 s here), group_interval, repeat_interval, rate_limit, max_tracked_alerts, max_groups,
	// storage, log_alerts. One mail per group notification.
	notify.Config `mapstructure:",squash"`

	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	_ struct{}
}

// enabled tells whether there is somewhere to send: both a server and recipients.
func (cfg *Config) enabled() bool {
	return cfg.Endpoint != "" && len(cfg.To) > 0
}

// Validate checks the configuration; each error names the field. The password is never quoted.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Endpoint != "" {
		if _, _, err := splitEndpoint(cfg.Endpoint); err != nil {
			errs = append(errs, fmt.Errorf("endpoint: %w", err))
		}
	}
	switch cfg.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !cfg.Insecure {
			errs = append(errs, errors.New("tls: none sends the mail and the password in clear text; set insecure: true to allow it"))
		}
		if cfg.CAFile != "" {
			errs = append(errs, errors.New("ca_file: has no use with tls: none"))
		}
	default:
		errs = append(errs, fmt.Errorf("tls: %q is not one of starttls, implicit, none", cfg.TLS))
	}
	if cfg.CAFile != "" {
		if _, err := loadCAFile(cfg.CAFile); err != nil {
			errs = append(errs, fmt.Errorf("ca_file: %w", err))
		}
	}
	if cfg.Password != "" && cfg.Username == "" {
		errs = append(errs, errors.New("password: set without username"))
	}
	if cfg.Username != "" && cfg.Password == "" {
		errs = append(errs, errors.New("password: required when username is set"))
	}
	if cfg.From != "" {
		if _, err := mail.ParseAddress(cfg.From); err != nil {
			errs = append(errs, fmt.Errorf("from: %q is not a mail address: %w", cfg.From, err))
		}
	} else if cfg.enabled() {
		errs = append(errs, errors.New("from: required when endpoint and to are set"))
	}
	for i, addr := range cfg.To {
		if strings.TrimSpace(addr) == "" {
			errs = append(errs, fmt.Errorf("to[%d]: empty address", i))
			continue
		}
		if _, err := mail.ParseAddress(addr); err != nil {
			errs = append(errs, fmt.Errorf("to[%d]: %q is not a mail address: %w", i, addr, err))
		}
	}
	if _, err := parseSubjectTemplate(cfg.SubjectTemplate); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseBodyTemplate(cfg.BodyTemplate); err != nil {
		errs = append(errs, err)
	}
	if _, err := notify.ParseTraceURLTemplate(cfg.TraceURLTemplate); err != nil {
		errs = append(errs, fmt.Errorf("trace_url_template: %w", err))
	}
	errs = append(errs, notify.ValidateHelper(cfg.QueueConfig, cfg.TimeoutConfig.Timeout)...)
	return errors.Join(errs...)
}

// splitEndpoint reads host:port.
func splitEndpoint(endpoint string) (string, int, error) {
	// The value is not repeated in these errors: a URL with user:password@ is the usual mistake.
	host, portText, err := net.SplitHostPort(endpoint)
	if err != nil {
		return "", 0, errors.New("must be host:port, e.g. smtp.example.com:587 (not a URL; credentials go in username and password)")
	}
	if host == "" {
		return "", 0, errors.New("has no host")
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, errors.New("port must be a number from 1 to 65535")
	}
	return host, port, nil
}

// loadCAFile reads a PEM bundle of certificate authorities.
func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
