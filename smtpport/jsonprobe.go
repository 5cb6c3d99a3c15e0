package main

import (
	"crypto/tls"
	"strings"
	"time"

	"github.com/smtpport/smtpport/negotiate"
)

// jsonProbe is the one object 'smtpport probe --json' prints. Every string in it that a
// server or DNS supplied is made safe when the object is built, as the text report's
// lines are when printed.
type jsonProbe struct {
	Target  string          `json:"target"`
	Routes  []jsonRouteInfo `json:"routes"`
	Choice  *jsonRoute      `json:"choice"` // null when no route works
	Verdict string          `json:"verdict"`
	Auth    *jsonAuth       `json:"auth,omitempty"` // with --auth
}

// jsonRouteInfo is one probed route. Times are milliseconds.
type jsonRouteInfo struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"` // the route's mode: starttls or tls
	Status   string `json:"status"`   // ok, refused, no-answer, no-tls, bad-certificate ...
	// Dial is false for a route probed for information only (port 25 of a host).
	Dial     bool        `json:"dial"`
	TCP      jsonTCP     `json:"tcp"`
	Greeting string      `json:"greeting,omitempty"`
	STARTTLS *bool       `json:"starttls_offered,omitempty"` // STARTTLS routes that got an EHLO
	TLS      *jsonTLS    `json:"tls"`                        // null when no TLS handshake got going
	EHLO     *jsonEHLO   `json:"ehlo"`                       // null when no EHLO reply was read
	Stages   []jsonStage `json:"stages"`
	Stage    string      `json:"stage"` // where the probe stopped
	Elapsed  float64     `json:"elapsed_ms"`
	Error    string      `json:"error,omitempty"`
}

type jsonTCP struct {
	Result string  `json:"result"` // open, refused, no answer, failed
	Time   float64 `json:"ms"`
}

type jsonTLS struct {
	Version     string    `json:"version,omitempty"`
	Cipher      string    `json:"cipher,omitempty"`
	Verified    bool      `json:"verified"`
	VerifyError string    `json:"verify_error,omitempty"`
	Subject     string    `json:"subject,omitempty"`
	Issuer      string    `json:"issuer,omitempty"`
	DNSNames    []string  `json:"dns_names,omitempty"`
	IPAddresses []string  `json:"ip_addresses,omitempty"` // IP SANs
	NotAfter    time.Time `json:"not_after,omitzero"`
}

// jsonEHLO holds the EHLO extensions, and the ones a sender asks about as fields.
type jsonEHLO struct {
	// BeforeTLS: the extensions are from the plaintext EHLO (TLS was not reached).
	BeforeTLS    bool     `json:"before_tls"`
	Extensions   []string `json:"extensions"`
	Auth         []string `json:"auth"`
	Size         string   `json:"size,omitempty"`
	Pipelining   bool     `json:"pipelining"`
	EightBitMIME bool     `json:"8bitmime"`
	SMTPUTF8     bool     `json:"smtputf8"`
}

type jsonStage struct {
	Stage string  `json:"stage"`
	Time  float64 `json:"ms"`
}

type jsonAuth struct {
	OK        bool   `json:"ok"`
	User      string `json:"user"`
	Mechanism string `json:"mechanism,omitempty"`
	Error     string `json:"error,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func toJSONProbe(t target, reps []routeReport, v verdict) jsonProbe {
	out := jsonProbe{Target: safe(t.name), Routes: make([]jsonRouteInfo, len(reps)), Verdict: oneLine(v.line)}
	if v.choice != nil {
		c := toJSONRoute(*v.choice)
		out.Choice = &c
	}
	for i, r := range reps {
		out.Routes[i] = toJSONRouteInfo(r, t.candidates[i].dial)
	}
	return out
}

func toJSONRouteInfo(r routeReport, dial bool) jsonRouteInfo {
	j := jsonRouteInfo{
		Host: safe(r.Route.Host), Port: r.Route.Port, Security: r.Route.Security.String(),
		Status: status(r), Dial: dial,
		TCP:      jsonTCP{Result: string(r.Connect), Time: ms(r.ConnectTime)},
		Greeting: safe(r.Greeting), Stage: safe(r.Stage), Elapsed: ms(r.Elapsed),
		Stages: make([]jsonStage, len(r.Stages)),
	}
	for i, s := range r.Stages {
		j.Stages[i] = jsonStage{Stage: safe(s.Stage), Time: ms(s.Duration)}
	}
	if r.Err != nil {
		j.Error = oneLine(r.Err.Error())
	}
	if r.Route.Security == negotiate.STARTTLS && r.Extensions != nil {
		offered := r.STARTTLSOffered
		j.STARTTLS = &offered
	}
	if info := r.TLS; info != nil {
		jt := &jsonTLS{Verified: info.Verified}
		if info.Version != 0 {
			jt.Version = tls.VersionName(info.Version)
		}
		if info.CipherSuite != 0 {
			jt.Cipher = tls.CipherSuiteName(info.CipherSuite)
		}
		if info.VerifyError != nil {
			jt.VerifyError = oneLine(info.VerifyError.Error())
		}
		if c := info.Certificate; c != nil {
			jt.Subject, jt.Issuer, jt.NotAfter = safe(c.Subject), safe(c.Issuer), c.NotAfter.UTC()
			if len(c.DNSNames) > 0 {
				jt.DNSNames = safeList(c.DNSNames)
			}
			if len(c.IPAddresses) > 0 {
				jt.IPAddresses = safeList(c.IPAddresses)
			}
		}
		j.TLS = jt
	}
	if r.Extensions != nil {
		e := &jsonEHLO{BeforeTLS: r.ExtensionsBeforeTLS, Auth: safeList(r.Mechanisms())}
		var extensions []string
		for _, x := range r.Extensions {
			extensions = append(extensions, strings.TrimSpace(x.Keyword+" "+x.Params))
		}
		e.Extensions = safeList(extensions)
		size, _ := r.Extension("SIZE")
		e.Size = safe(size)
		_, e.Pipelining = r.Extension("PIPELINING")
		_, e.EightBitMIME = r.Extension("8BITMIME")
		_, e.SMTPUTF8 = r.Extension("SMTPUTF8")
		j.EHLO = e
	}
	return j
}
