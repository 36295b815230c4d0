# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Scenario (sourced by test/lab/run after its profile): the iOS client first
# tries a certificate issued by another CA, then connects with its good one.
# The other CA has the SAME subject ("O=Lab, CN=Lab Root CA") and another key,
# so only the signature tells them apart. Expected (SEEDS.md B: one clear line
# per failure; CLIENTS.md 2.2):
# - the bad attempt is refused (AUTHENTICATION_FAILED) within 1 s of the
#   client's IKE_SA_INIT, the server logs one refusal line naming the client's
#   address, its identity and the reason (the certificate), and leaves no
#   session or lease for it;
# - right after, the good client connects from the same address and port and
#   the usual steps follow (VIP, DNS, ping, counters, disconnect).
SCENARIO_PROFILE=ios
SCENARIO_DESC="iOS: a certificate from another CA (same CA name, other key) is refused within 1 s, then the good one connects"
BAD_ID=mallory@example.com
BAD_CONN=bad

scenario_prereq() {
	# the refusal line format is kanmond's (plugins/ikev2/ikev2_log.c)
	[ "$ADAPTER" = kanmon ] || { echo "checks kanmond's refusal line: adapter kanmon only"; return 1; }
}

# the other CA and the bad client's certificate; a second connection in the
# client's swanctl.conf that uses it (the same iOS settings otherwise)
scenario_setup() {
	_other=$LAB_WORK/pki-other
	{ pki_ca "$_other" && pki_client "$_other" mallory "cn = \"$BAD_ID\"
email = \"$BAD_ID\""; } 2>"$LAB_WORK/pki-other.log" ||
		lab_fail "pki: the other CA: $(tail -n 3 "$LAB_WORK/pki-other.log" | tr '\n' ' ')"
	cp "$_other/mallory.crt" "$LAB_CLIENT_DIR/swanctl/x509/mallory.crt" &&
	cp "$_other/mallory.key" "$LAB_CLIENT_DIR/swanctl/private/mallory.key" ||
		lab_fail "cannot install the bad client certificate"
	_good=$CLIENT_CONN
	CLIENT_CONN=$BAD_CONN
	profile_swanctl | sed -e "s/certs = client.crt/certs = mallory.crt/" \
		-e "s/id = $PROFILE_LEASE_ID\$/id = $BAD_ID/" >> "$LAB_CLIENT_DIR/swanctl/swanctl.conf"
	CLIENT_CONN=$_good
	grep -q "id = $BAD_ID" "$LAB_CLIENT_DIR/swanctl/swanctl.conf" ||
		lab_fail "could not derive the bad connection from the $SCENARIO_PROFILE profile"
}

bad_refusal() { adapter log 5 | grep -F "refused client ${LAB_NAT_OUT}[" | grep -F "id=$BAD_ID"; }
bad_refused() { [ -n "$(bad_refusal)" ]; }

scenario_pre_connect() {
	step "refused: certificate of another CA"
	_t0=$(now_ms)
	if client_sw --initiate --child "$BAD_CONN" --timeout 5 >"$LAB_CLIENT_DIR/initiate-bad.log" 2>&1; then
		lab_fail "the client with a certificate from another CA was accepted"
	fi
	_ms=$(( $(now_ms) - _t0 ))
	client_log_has "received AUTHENTICATION_FAILED notify error" ||
		lab_fail "the bad client was not answered AUTHENTICATION_FAILED: $(lab_reason "$LAB_CLIENT_DIR/initiate-bad.log")"
	[ "$_ms" -lt 1000 ] || lab_fail "the refusal took $_ms ms (more than 1 s)"
	wait_until 3 bad_refused ||
		lab_fail "the server logged no refusal line for $LAB_NAT_OUT id=$BAD_ID: $(adapter log 5 | grep "refused client" | tail -n 2 | tr '\n' ' ')"
	BAD_LINE=$(bad_refusal | tail -n 1)
	_n=$(bad_refusal | wc -l)
	[ "$_n" -eq 1 ] || lab_fail "the server logged $_n refusal lines for one attempt: $(bad_refusal | tr '\n' ' ')"
	# the reason must be the certificate's: signature (same CA name, other
	# key: "bad signature ... forged") or issuer ("a CA this server does not
	# trust"), words of the certificate store (core/certstore/verify.c)
	case $BAD_LINE in
	*"not implemented"*) lab_fail "the server refused without checking the certificate: $BAD_LINE" ;;
	esac
	printf '%s\n' "$BAD_LINE" | grep -q -i -E "signature|forged|issue|trust" ||
		lab_fail "the refusal line gives no certificate reason (issuer, signature): $BAD_LINE"
	_l=$(adapter leases 5 | grep -F "$BAD_ID")
	[ -z "$_l" ] || lab_fail "the server leased an address to the refused client: $_l"
	_s=$(adapter sessions 5)
	[ -z "$_s" ] || lab_fail "the server lists a session after the refusal: $(echo "$_s" | tr '\n' ';')"
	echo "   refused in $_ms ms; server: $BAD_LINE"
}
