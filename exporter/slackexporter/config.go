package slackexporter

import (
	"errors"
	"fmt"
	"net/url"
	"text/template"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
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
	// TitleTemplate and TextTemplate replace the attachment's title and text (Go text/template
	// over the alert; see README). Empty keeps the built-in ones.
	TitleTemplate string `mapstructure:"title_template"`
	TextTemplate  string `mapstructure:"text_template"`
	// TraceURLTemplate makes a link of each trace id the alerts carry (Go text/template over
	// {{ .TraceID }}, e.g. http://tempo:3200/trace/{{ .TraceID }}). Empty: ids as plain text.
	TraceURLTemplate string `mapstructure:"trace_url_template"`

	// The settings every notifier shares: min_severity, send_resolved, repeat_interval,
	// rate_limit, max_tracked_alerts, storage, log_alerts.
	notify.Config `mapstructure:",squash"`

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
	if _, err := parseTemplate("title_template", cfg.TitleTemplate); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseTemplate("text_template", cfg.TextTemplate); err != nil {
		errs = append(errs, err)
	}
	if _, err := notify.ParseTraceURLTemplate(cfg.TraceURLTemplate); err != nil {
		errs = append(errs, fmt.Errorf("trace_url_template: %w", err))
	}
	errs = append(errs, notify.ValidateHelper(cfg.QueueConfig, cfg.TimeoutConfig.Timeout)...)
	return errors.Join(errs...)
}

// parseTemplate parses a title or text template; nil for an empty one.
func parseTemplate(field, text string) (*template.Template, error) {
	if text == "" {
		return nil, nil
	}
	t, err := template.New(field).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return t, nil
}
