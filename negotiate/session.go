package negotiate

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
)

// sessionCacheSize is how many TLS sessions each trust anchor set keeps: a few hosts
// per program, a few ports per host.
const sessionCacheSize = 64

// maxSessionCaches bounds how many trust anchor sets get a cache; a program that builds
// a new pool for every Dial loses resumption for the oldest instead of growing.
const maxSessionCaches = 16

// sessionCaches hands out a shared tls.ClientSessionCache per RootCAs pool, so a TLS
// session is resumed across Dials (saving the certificate chain and its verification)
// but only under the trust anchors that verified it: crypto/tls does not verify a
// resumed session's chain again, and its cache is keyed by server name alone.
var sessionCaches = struct {
	sync.Mutex
	byPool map[*x509.CertPool]tls.ClientSessionCache
	order  []*x509.CertPool
	// scoped keeps each route's view of its pool's cache, so a Dial does not build its
	// scope string and interface value again; dropped whole past maxScopedCaches.
	scoped map[scopeKey]tls.ClientSessionCache
}{byPool: map[*x509.CertPool]tls.ClientSessionCache{}, scoped: map[scopeKey]tls.ClientSessionCache{}}

type scopeKey struct {
	pool *x509.CertPool
	host string
	port int
}

// maxScopedCaches bounds the route views kept (a few hosts and ports per pool).
const maxScopedCaches = 256

// sessionCacheFor returns the shared cache for pool (nil: the system roots).
func sessionCacheFor(pool *x509.CertPool) tls.ClientSessionCache {
	sessionCaches.Lock()
	defer sessionCaches.Unlock()
	return sessionCacheLocked(pool)
}

// scopedCacheFor returns pool's shared cache as seen from route r (see withSessionCache).
func scopedCacheFor(pool *x509.CertPool, r Route) tls.ClientSessionCache {
	k := scopeKey{pool: pool, host: r.Host, port: r.Port}
	sessionCaches.Lock()
	defer sessionCaches.Unlock()
	if c, ok := sessionCaches.scoped[k]; ok {
		return c
	}
	inner := sessionCacheLocked(pool)
	if len(sessionCaches.scoped) >= maxScopedCaches {
		clear(sessionCaches.scoped)
	}
	c := &scopedCache{inner: inner, scope: net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) + "\x00"}
	sessionCaches.scoped[k] = c
	return c
}

func sessionCacheLocked(pool *x509.CertPool) tls.ClientSessionCache {
	if c, ok := sessionCaches.byPool[pool]; ok {
		return c
	}
	if len(sessionCaches.order) >= maxSessionCaches {
		delete(sessionCaches.byPool, sessionCaches.order[0])
		sessionCaches.order = sessionCaches.order[1:]
		clear(sessionCaches.scoped) // some were views of the dropped cache
	}
	c := tls.NewLRUClientSessionCache(sessionCacheSize)
	sessionCaches.byPool[pool] = c
	sessionCaches.order = append(sessionCaches.order, pool)
	return c
}

// withSessionCache gives cfg a shared session cache when the caller set none and
// resumption cannot skip a check the caller asked for: a VerifyPeerCertificate callback
// is not run on resumption, and client certificates would be bound to the old session.
// Sessions are scoped to the route's host:port, as browsers scope them: crypto/tls keys its
// cache by server name alone, and a session from 465 resumed on 587 would hide the
// certificate 587 really serves, where a bad one must end negotiation.
func withSessionCache(cfg *tls.Config, r Route) {
	if cfg.ClientSessionCache != nil || cfg.SessionTicketsDisabled ||
		cfg.VerifyPeerCertificate != nil || len(cfg.Certificates) > 0 || cfg.GetClientCertificate != nil {
		return
	}
	cfg.ClientSessionCache = scopedCacheFor(cfg.RootCAs, r)
}

// scopedCache prefixes every session key with its scope. crypto/tls asks a route's view
// for one key (its server name) Dial after Dial, so the last prefixed key is kept rather
// than built on every Get and Put.
type scopedCache struct {
	inner tls.ClientSessionCache
	scope string
	last  atomic.Pointer[scopedKey]
}

type scopedKey struct{ key, full string }

func (c *scopedCache) full(key string) string {
	if k := c.last.Load(); k != nil && k.key == key {
		return k.full
	}
	k := &scopedKey{key: key, full: c.scope + key}
	c.last.Store(k)
	return k.full
}

func (c *scopedCache) Get(key string) (*tls.ClientSessionState, bool) {
	return c.inner.Get(c.full(key))
}

func (c *scopedCache) Put(key string, cs *tls.ClientSessionState) {
	c.inner.Put(c.full(key), cs)
}
