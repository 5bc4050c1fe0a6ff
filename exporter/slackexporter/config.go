package slackexporter

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config is the configuration of the slack exporter.
type Config struct {
	// WebhookURL is the Slack incoming webhook. Empty disables the exporter (it logs so at start),
	// which lets one shipped config run where no Slack is set up.
	WebhookURL configopaque.String `mapstructure:"webhook_url"`
	// InsecureAllowHTTP accepts an http:// webhook; for tests against a local server only.
	InsecureAllowHTTP bool `mapstructure:"insecure_allow_http"`
	// Channel, Username and IconEmoji override the webhook's defaults when set.
	Channel   string `mapstructure:"channel"`
	Username  string `mapstructure:"username"`
	IconEmoji string `mapstructure:"icon_emoji"`
	// SendResolved sends a message when a notified alert resolves.
	SendResolved bool `mapstructure:"send_resolved"`
	// RepeatInterval repeats a still-firing alert that has no cooldown of its own.
	RepeatInterval time.Duration `mapstructure:"repeat_interval"`
	// RateLimit is the most messages per second sent to the webhook (Slack allows 1).
	RateLimit float64 `mapstructure:"rate_limit"`

	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	_ struct{}
}

// Validate checks the configuration; each error names the field. The webhook URL itself is
// never quoted, since it is the secret.
func (cfg *Config) Validate() error {
	var errs []error
	if raw := string(cfg.WebhookURL); raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "":
			errs = append(errs, errors.New("webhook_url: not a valid URL"))
		case u.Scheme != "https" && !(u.Scheme == "http" && cfg.InsecureAllowHTTP):
			errs = append(errs, fmt.Errorf("webhook_url: scheme must be https (got %q; set insecure_allow_http only for local tests)", u.Scheme))
		}
	}
	if cfg.RepeatInterval <= 0 {
		errs = append(errs, fmt.Errorf("repeat_interval: must be positive, got %s", cfg.RepeatInterval))
	}
	if cfg.RateLimit <= 0 {
		errs = append(errs, fmt.Errorf("rate_limit: must be positive, got %g", cfg.RateLimit))
	}
	return errors.Join(errs...)
}
