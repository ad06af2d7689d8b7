#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A client that reuses the source port of a closed connection opens a new
# connection: after drain, weight 0 and removal of b2, reconnects from the
# exact ports whose connections b2 served (and closed) reach no b2
# (docs/modes.md "Drain and reused client ports"). The closed flows stay
# in the table the whole time (tcp_fin 60 s).
source "$(dirname "$0")/lib.sh"
topo_up xru || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
HOLD=/tmp/xlb-e2e-$P-hold.txt
CLEAN_FILES+=("$CFG" "$HOLD")
write_config "$CFG" 1 1 1
cat >>"$CFG" <<YAML
flow_timeouts:
  tcp_fin: 60
  tcp_rst: 60
YAML
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }

# ports LIST: one connection from each source port; the JSON by back end.
ports() {
	in_ns "$P-cl" python3 "$E2E_DIR/client.py" ports $VIP4 80 "$1"
}
# summary JSON: "B2PORTS NB2 NALL NERR" (B2PORTS "-" when none), one
# python run per round on a busy machine.
summary() {
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); b2=t.get("b2", [])
print(",".join(map(str, b2)) or "-", len(b2), sum(len(v) for k, v in t.items() if k != "errors"), len(t["errors"]))' "$1"
}

# round FIRST: 36 fresh ports from FIRST (all back ends take new flows);
# B2 := the ports b2 served.
round() {
	local r n all nerr
	r=$(ports "$1-$(($1 + 35))")
	read -r B2 n all nerr <<<"$(summary "$r")"
	check "36 connections from ports $1-$(($1 + 35)): $all answered, b2 served $n" \
		[ "$nerr" = 0 -a "$n" -gt 1 ]
}

# reuse WHAT: reconnect from B2's ports; none may reach b2.
reuse() {
	local r n all nerr
	r=$(ports "$B2")
	read -r _ n all nerr <<<"$(summary "$r")"
	check "after $1: reconnects from b2's $all closed ports: $n to b2, $nerr errors ($r)" \
		[ "$n" = 0 -a "$nerr" = 0 ]
}

round 46000
run xlb backend drain web 198.18.0.12 --wait --timeout 10
reuse "backend drain (--wait: 0 live flows)"
run xlb backend undrain web 198.18.0.12

round 46100
run xlb backend weight web 198.18.0.12 0
reuse "backend weight 0"
run xlb backend weight web 198.18.0.12 1

# Removal: a live connection keeps b2 "removing" while the others reuse
# their ports. It comes from the first of b2's closed ports: a new
# connection there, picked from the same table, lands on b2 again.
round 46200
first=${B2%%,*}
B2=${B2#*,}
in_ns "$P-cl" python3 "$E2E_DIR/client.py" holdport $VIP4 80 "$first" 60 >"$HOLD" 2>&1 &
HOLD_PID=$!
PIDS+=($HOLD_PID)
wait_until 10 grep -q . "$HOLD"
check "a live connection from port $first reaches b2 again: $(cat "$HOLD")" \
	[ "$(cat "$HOLD")" = b2 ]
run xlb backend del web 198.18.0.12
st=$(status_get "[b['state'] for b in s['services'][0]['backends'] if b['addr']=='198.18.0.12']")
check "b2 is removing while its live connection runs ($st)" [ "$st" = "['removing']" ]
reuse "backend del (removing)"
kill $HOLD_PID 2>/dev/null
wait $HOLD_PID 2>/dev/null || true # its end by SIGTERM is no failure
