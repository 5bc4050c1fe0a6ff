package emailexporter

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// userAgent names the sender in the User-Agent and X-Mailer headers.
const userAgent = "otelcol-multiagents email exporter"

// smtpSender composes one mail per group notification and delivers it through one SMTP server
// with go-mail; it is the email exporter's notify.Sender.
type smtpSender struct {
	client   *mail.Client
	endpoint string
	from     string
	to       []string
	domain   string // of the sender address, for Message-ID
	composer *composer
	secrets  []string
	now      func() time.Time
}

func newSMTPSender(cfg *Config) (*smtpSender, error) {
	host, port, err := splitEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	comp, err := newComposer(cfg)
	if err != nil {
		return nil, err
	}
	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		if tlsConfig.RootCAs, err = loadCAFile(cfg.CAFile); err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
	}
	opts := []mail.Option{
		mail.WithPort(port),
		mail.WithTimeout(cfg.TimeoutConfig.Timeout),
		mail.WithTLSConfig(tlsConfig),
	}
	switch cfg.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		// Mandatory: a server that does not offer STARTTLS gets neither the mail nor the password.
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if cfg.Username != "" {
		opts = append(opts, mail.WithUsername(cfg.Username), mail.WithPassword(string(cfg.Password)))
		if cfg.TLS == TLSNone {
			// The operator allowed clear text (insecure: true); go-mail otherwise refuses PLAIN and LOGIN there.
			opts = append(opts, mail.WithOpportunisticSMTPAuth(mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1,
				mail.SMTPAuthCramMD5, mail.SMTPAuthPlainNoEnc, mail.SMTPAuthLoginNoEnc))
		} else {
			opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover))
		}
	}
	client, err := mail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("email: cannot set up the SMTP client: %w", err)
	}
	to := make([]string, len(cfg.To))
	for i, addr := range cfg.To {
		to[i] = strings.TrimSpace(addr)
	}
	domain := "localhost"
	if at := strings.LastIndexByte(cfg.From, '@'); at >= 0 {
		domain = strings.Trim(cfg.From[at+1:], "> ")
	}
	return &smtpSender{
		client:   client,
		endpoint: cfg.Endpoint,
		from:     strings.TrimSpace(cfg.From),
		to:       to,
		domain:   domain,
		composer: comp,
		secrets:  secretsOf(cfg),
		now:      time.Now,
	}, nil
}

// Send delivers one group's notification as one mail to every recipient. The error it returns
// is classified for the dispatcher (a 5xx reply is permanent; a 4xx reply, a connection or TLS
// failure is retried) and never carries the password.
func (s *smtpSender) Send(ctx context.Context, n notify.Notification) error {
	msg, err := s.message(n)
	if err != nil {
		return consumererror.NewPermanent(fmt.Errorf("email: cannot compose the mail: %w", err))
	}
	err = s.client.DialAndSendWithContext(ctx, msg)
	if err != nil && msg.IsDelivered() {
		// The server took the mail and only QUIT failed: sending again would duplicate it.
		return nil
	}
	return notify.Redact(classify(s.endpoint, err), s.secrets)
}

// message builds the multipart/alternative mail: plain text first, HTML as the preferred part.
func (s *smtpSender) message(n notify.Notification) (*mail.Msg, error) {
	now := s.now()
	content := s.composer.compose(n, now)
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(s.to...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(content.Subject)
	msg.SetDateWithValue(now)
	msg.SetMessageIDWithValue(newMessageID(now, s.domain))
	msg.SetUserAgent(userAgent)
	// RFC 3834: tells auto-responders (vacation replies) not to answer an alert.
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, content.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, content.HTML)
	return msg, nil
}

// newMessageID returns a unique Message-ID local part and domain (RFC 5322 §3.6.4).
func newMessageID(now time.Time, domain string) string {
	var random [12]byte
	_, _ = rand.Read(random[:])
	return "alert." + strconv.FormatInt(now.UnixNano(), 36) + "." + hex.EncodeToString(random[:]) + "@" + domain
}

// smtpCode is the SMTP reply code behind err (0 when the failure was not a reply).
func smtpCode(err error) int {
	var sendErr *mail.SendError
	if errors.As(err, &sendErr) && sendErr.ErrorCode() != 0 {
		return sendErr.ErrorCode()
	}
	var replyErr *textproto.Error
	if errors.As(err, &replyErr) {
		return replyErr.Code
	}
	return 0
}

// classify turns a go-mail error into what exporterhelper acts on: a 5xx reply (550 mailbox
// unavailable, 553 bad address, 535 bad credentials) is permanent; a 4xx reply (421, 450, 451),
// a connection or a TLS failure is retried.
func classify(endpoint string, err error) error {
	if err == nil {
		return nil
	}
	code := smtpCode(err)
	switch {
	case code >= 500:
		return consumererror.NewPermanent(fmt.Errorf("email: SMTP server %s refused the mail with %d: %w", endpoint, code, err))
	case code >= 400:
		return fmt.Errorf("email: SMTP server %s answered %d (temporary): %w", endpoint, code, err)
	default:
		return fmt.Errorf("email: cannot deliver through %s: %w", endpoint, err)
	}
}

// secretsOf lists the forms in which the password could surface in a server's reply: as is, and
// base64-encoded as AUTH PLAIN and AUTH LOGIN send it.
func secretsOf(cfg *Config) []string {
	if cfg.Password == "" {
		return nil
	}
	pw := string(cfg.Password)
	b64 := base64.StdEncoding.EncodeToString
	return []string{pw, b64([]byte(pw)), b64([]byte("\x00" + cfg.Username + "\x00" + pw))}
}
