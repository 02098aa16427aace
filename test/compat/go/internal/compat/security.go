package compat

// The runner's security mode (test/compat/run.ts --security), read from the environment, and a
// SCRAM client (RFC 5802) for Sarama, which leaves SCRAM to the application.

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"os"
	"strconv"
	"strings"
)

type Security struct {
	Protocol  string // "", SSL, SASL_PLAINTEXT, SASL_SSL
	Mechanism string // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	Username  string
	Password  string
	CAFile    string
}

func SecurityFromEnv() Security {
	return Security{
		Protocol:  os.Getenv("COMPAT_SECURITY_PROTOCOL"),
		Mechanism: os.Getenv("COMPAT_SASL_MECHANISM"),
		Username:  os.Getenv("COMPAT_SASL_USERNAME"),
		Password:  os.Getenv("COMPAT_SASL_PASSWORD"),
		CAFile:    os.Getenv("COMPAT_SSL_CA_FILE"),
	}
}

func (s Security) UsesTLS() bool  { return s.Protocol == "SSL" || s.Protocol == "SASL_SSL" }
func (s Security) UsesSASL() bool { return strings.HasPrefix(s.Protocol, "SASL_") }

// TLSConfig trusts the CA file the runner made.
func (s Security) TLSConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no certificate in " + s.CAFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// ScramClient implements sarama.SCRAMClient.
type ScramClient struct {
	newHash         func() hash.Hash
	user, password  string
	nonce           string
	clientFirstBare string
	serverSignature []byte
	step            int
	done            bool
}

func NewScramClient(mechanism string) *ScramClient {
	if mechanism == "SCRAM-SHA-256" {
		return &ScramClient{newHash: sha256.New}
	}
	return &ScramClient{newHash: sha512.New}
}

func (c *ScramClient) Begin(user, password, _ string) error {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	c.user, c.password, c.nonce, c.step, c.done = user, password, base64.RawURLEncoding.EncodeToString(b), 0, false
	return nil
}

func (c *ScramClient) mac(key []byte, text string) []byte {
	m := hmac.New(c.newHash, key)
	m.Write([]byte(text))
	return m.Sum(nil)
}

func (c *ScramClient) Step(challenge string) (string, error) {
	c.step++
	switch c.step {
	case 1:
		name := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(c.user)
		c.clientFirstBare = "n=" + name + ",r=" + c.nonce
		return "n,," + c.clientFirstBare, nil
	case 2:
		fields := map[string]string{}
		for _, kv := range strings.Split(challenge, ",") {
			if len(kv) > 2 {
				fields[kv[:1]] = kv[2:]
			}
		}
		salt, err := base64.StdEncoding.DecodeString(fields["s"])
		if err != nil {
			return "", err
		}
		iterations, err := strconv.Atoi(fields["i"])
		if err != nil || !strings.HasPrefix(fields["r"], c.nonce) {
			return "", fmt.Errorf("bad server-first message %q", challenge)
		}
		salted, err := pbkdf2.Key(c.newHash, c.password, salt, iterations, c.newHash().Size())
		if err != nil {
			return "", err
		}
		clientKey := c.mac(salted, "Client Key")
		h := c.newHash()
		h.Write(clientKey)
		storedKey := h.Sum(nil)
		withoutProof := "c=biws,r=" + fields["r"]
		authMessage := c.clientFirstBare + "," + challenge + "," + withoutProof
		signature := c.mac(storedKey, authMessage)
		proof := make([]byte, len(clientKey))
		for i := range clientKey {
			proof[i] = clientKey[i] ^ signature[i]
		}
		c.serverSignature = c.mac(c.mac(salted, "Server Key"), authMessage)
		return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
	default:
		if challenge != "v="+base64.StdEncoding.EncodeToString(c.serverSignature) {
			return "", errors.New("server signature does not verify")
		}
		c.done = true
		return "", nil
	}
}

func (c *ScramClient) Done() bool { return c.done }
