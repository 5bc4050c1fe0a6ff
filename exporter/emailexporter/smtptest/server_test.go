package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func trustingConfig(t *testing.T, s *Server) *tls.Config {
	pem, err := os.ReadFile(s.CAFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func replyCode(t *testing.T, err error) int {
	t.Helper()
	var smtpErr *smtp.SMTPError
	require.ErrorAs(t, err, &smtpErr)
	return smtpErr.Code
}

// The server enforces what a submission server does, so the exporter's tests mean something.
func TestServerEnforcesSTARTTLSAndAUTH(t *testing.T) {
	s := Start(t, "user", "pass", Options{})

	t.Run("no AUTH offered and no MAIL accepted in clear", func(t *testing.T) {
		c, err := smtp.Dial(s.Addr)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.Hello("test"))
		ok, _ := c.Extension("AUTH")
		assert.False(t, ok)
		ok, _ = c.Extension("STARTTLS")
		assert.True(t, ok)
		assert.Equal(t, 530, replyCode(t, c.Mail("a@example.com", nil)))
	})
	t.Run("no MAIL without AUTH", func(t *testing.T) {
		c, err := smtp.DialStartTLS(s.Addr, trustingConfig(t, s))
		require.NoError(t, err)
		defer c.Close()
		assert.Equal(t, 530, replyCode(t, c.Mail("a@example.com", nil)))
	})
	t.Run("wrong password refused", func(t *testing.T) {
		c, err := smtp.DialStartTLS(s.Addr, trustingConfig(t, s))
		require.NoError(t, err)
		defer c.Close()
		assert.Equal(t, 535, replyCode(t, c.Auth(sasl.NewPlainClient("", "user", "wrong"))))
	})
	t.Run("scripted replies, then acceptance", func(t *testing.T) {
		s.Script(Reply{Stage: "rcpt", Err: &smtp.SMTPError{Code: 550, Message: "no such user"}})
		c, err := smtp.DialStartTLS(s.Addr, trustingConfig(t, s))
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.Auth(sasl.NewLoginClient("user", "pass")))
		require.NoError(t, c.Mail("a@example.com", nil))
		assert.Equal(t, 550, replyCode(t, c.Rcpt("b@example.com", nil)))
		require.NoError(t, c.Reset())
		require.NoError(t, c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader("Subject: hi\r\n\r\nbody\r\n")))
		mails := s.Mails()
		require.Len(t, mails, 1)
		assert.Equal(t, "user", mails[0].AuthUser)
		assert.True(t, mails[0].TLS)
		assert.Equal(t, []string{"b@example.com"}, mails[0].To)
	})
}
