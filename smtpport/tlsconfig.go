package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// tlsConfig builds the TLS settings: the system roots (or the test roots in env), plus
// the certificates of --ca. It never turns verification off.
func tlsConfig(e *env, caFile string) (*tls.Config, error) {
	if caFile == "" {
		return &tls.Config{RootCAs: e.roots}, nil
	}
	pool := e.roots
	if pool == nil {
		var err error
		if pool, err = x509.SystemCertPool(); err != nil {
			pool = x509.NewCertPool()
		}
	} else {
		pool = pool.Clone()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, usage{fmt.Errorf("--ca: %w", err)}
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usage{errors.New("--ca: " + caFile + " holds no PEM certificate")}
	}
	return &tls.Config{RootCAs: pool}, nil
}
