package negotiate

import "slices"

// recall returns the routes in the order to try them. With a live memo for a route that
// is still in Config.Routes, that route comes first and recalled is true; the others
// keep their order. A memo for a route no longer offered is ignored, not forgotten:
// the caller may be overriding routes for one call.
func (n *negotiation) recall() (routes []Route, memo Memo, recalled bool) {
	routes = n.cfg.Routes
	if n.cfg.Memory == nil || n.cfg.MemoryKey == "" {
		return routes, Memo{}, false
	}
	memo, ok := n.cfg.Memory.Recall(n.cfg.MemoryKey)
	if !ok {
		return routes, Memo{}, false
	}
	i := slices.Index(routes, memo.Route)
	if i < 0 {
		return routes, Memo{}, false
	}
	ordered := make([]Route, 0, len(routes))
	ordered = append(ordered, routes[i])
	ordered = append(ordered, routes[:i]...)
	ordered = append(ordered, routes[i+1:]...)
	if n.debug {
		n.log("smtpport: trying remembered route first", "route", memo.Route.String())
	}
	return ordered, memo, true
}

// remember stores the winning route; a store that fails is logged, never fatal.
func (n *negotiation) remember(m Memo) {
	if n.cfg.Memory == nil || n.cfg.MemoryKey == "" {
		return
	}
	if err := n.cfg.Memory.Remember(n.cfg.MemoryKey, m); err != nil && n.cfg.Logger != nil {
		n.cfg.Logger.Warn("smtpport: could not remember route", "err", err.Error())
	}
}

// forget drops the account's memo.
func (n *negotiation) forget() {
	if n.cfg.Memory == nil || n.cfg.MemoryKey == "" {
		return
	}
	if err := n.cfg.Memory.Forget(n.cfg.MemoryKey); err != nil && n.cfg.Logger != nil {
		n.cfg.Logger.Warn("smtpport: could not forget route", "err", err.Error())
	}
}
