// Package smtptest runs a real SMTP server (go-smtp) on loopback for tests: STARTTLS with a
// self-signed certificate generated on the spot, AUTH PLAIN and LOGIN enforced, and replies that
// a test can script per stage. The email exporter's tests use it, and an end-to-end test through
// the built collector can too (point the exporter's ca_file at Server.CAFile).
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// Server is a real SMTP server (go-smtp) on loopback that enforces what a submission
// server does: STARTTLS before AUTH (no AUTH on a clear connection), AUTH before MAIL, and
// TLS for the whole transaction. Replies can be scripted per stage to test error handling.
type Server struct {
	Addr   string
	CAFile string // PEM of the self-signed certificate, for the exporter's ca_file

	user, password string
	mechanisms     []string
	requireTLS     bool

	mu       sync.Mutex
	mails    []Mail
	script   []Reply // consumed in order, one per transaction
	attempts int     // MAIL commands seen
	authOK   int
	authBad  int
	arrived  chan struct{}

	srv *smtp.Server
}

// Mail is one accepted transaction.
type Mail struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool
	AuthUser string
}

// Reply refuses one transaction at a stage ("rcpt" or "data") with err; nil accepts.
type Reply struct {
	// Stage is "rcpt" (the reply to the first RCPT TO) or "data" (the reply after the message).
	Stage string
	Err   *smtp.SMTPError
}

type Options struct {
	// Mechanisms are the AUTH mechanisms advertised; default PLAIN and LOGIN.
	Mechanisms []string
	// Implicit speaks TLS from the first byte (SMTPS) instead of offering STARTTLS.
	Implicit bool
	// Cleartext offers no TLS at all and accepts AUTH and mail in clear, like a local relay on
	// port 25; it is what tls: none (with insecure: true) talks to.
	Cleartext bool
	// AuthError answers a failed login; default 535 5.7.8 Authentication failed.
	AuthError func(user, password string) *smtp.SMTPError
}

func Start(t testing.TB, user, password string, opts Options) *Server {
	t.Helper()
	cert, caPEM := selfSignedCert(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, caPEM, 0o600))

	s := &Server{
		CAFile:     caFile,
		user:       user,
		password:   password,
		mechanisms: opts.Mechanisms,
		requireTLS: !opts.Cleartext,
		arrived:    make(chan struct{}, 1000),
	}
	if len(s.mechanisms) == 0 {
		s.mechanisms = []string{sasl.Plain, sasl.Login}
	}
	authError := opts.AuthError
	if authError == nil {
		authError = func(string, string) *smtp.SMTPError { return smtp.ErrAuthFailed }
	}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{server: s, conn: c, authError: authError}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.AllowInsecureAuth = false
	if opts.Cleartext {
		srv.TLSConfig = nil
		srv.AllowInsecureAuth = true
	}
	srv.MaxMessageBytes = 1 << 20
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0) // it may log after the test ended
	s.srv = srv

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if opts.Implicit {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Script queues replies for the next transactions, in order.
func (s *Server) Script(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, replies...)
}

// Mails returns the accepted transactions so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Attempts is the number of transactions begun (MAIL FROM accepted or refused).
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// WaitMails waits until n transactions were accepted, up to a generous bound.
func (s *Server) WaitMails(t testing.TB, n int) []Mail {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if mails := s.Mails(); len(mails) >= n {
			return mails
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("waited for %d mails, got %d", n, len(s.Mails()))
		}
	}
}

func (s *Server) nextReply(stage string) *smtp.SMTPError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) == 0 || s.script[0].Stage != stage {
		return nil
	}
	r := s.script[0]
	s.script = s.script[1:]
	return r.Err
}

type session struct {
	server    *Server
	conn      *smtp.Conn
	authError func(user, password string) *smtp.SMTPError
	authUser  string
	from      string
	to        []string
}

func (ss *session) AuthMechanisms() []string { return ss.server.mechanisms }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, password string) error {
		ss.server.mu.Lock()
		defer ss.server.mu.Unlock()
		if user != ss.server.user || password != ss.server.password {
			ss.server.authBad++
			return ss.authError(user, password)
		}
		ss.server.authOK++
		ss.authUser = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, password string) error { return check(user, password) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.server.mu.Lock()
	ss.server.attempts++
	ss.server.mu.Unlock()
	if _, ok := ss.conn.TLSConnectionState(); !ok && ss.server.requireTLS {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	if ss.authUser == "" {
		// RFC 4954 §6: 530 5.7.0 for a transaction without the AUTH the server demands.
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.server.nextReply("rcpt"); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.server.nextReply("data"); err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.server.mu.Lock()
	ss.server.mails = append(ss.server.mails, Mail{From: ss.from, To: ss.to, Data: data, TLS: isTLS, AuthUser: ss.authUser})
	ss.server.mu.Unlock()
	select {
	case ss.server.arrived <- struct{}{}:
	default: // nobody is waiting (benchmarks); Mails() still has it
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN (draft-murchison-sasl-login), which go-sasl
// only implements as a client.
type loginServer struct {
	check    func(user, password string) error
	step     int
	username string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(response) == 0 {
			return []byte("Username:"), false, nil
		}
		l.username = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 1:
		l.username = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		if err := l.check(l.username, string(response)); err != nil {
			return nil, true, err
		}
		return nil, true, nil
	}
	return nil, true, errors.New("unexpected AUTH LOGIN step")
}

// selfSignedCert makes a certificate for 127.0.0.1 and localhost, returned with its PEM.
func selfSignedCert(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "test smtp server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	return cert, certPEM
}
