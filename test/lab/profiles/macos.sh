# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# macOS built-in IKEv2 client (sourced by test/lab/run).
# Facts of CLIENTS.md encoded here:
# - 1a: like iOS (AES256-CBC/SHA2-256, cert, configured LocalIdentifier as ID,
#   remote ID = server FQDN), but only iOS offers ECP256: macOS offers MODP2048
# - 1a: "rekey has no DH group": the CHILD_SA proposals carry no DH group, so a
#   CHILD_SA rekey is done without PFS; a server insisting on PFS breaks macOS
#   rekeys unless its DH is optional (esp=...-modp2048-modpnone). The profile
#   rekeys the CHILD_SA and pings again through the new SA.
# - 1b: FRAG_SUP, MOBIKE on, CPRQ address + DNS, DPD 10 min, keepalive 20 s,
#   no CERTREQ (the server must send its certificate unasked)
PROFILE_DESC="macOS IKEv2: cert, email ID, aes256-sha256-modp2048, CHILD_SA rekey without DH"
PROFILE_LEASE_ID=bob@example.com
PROFILE_CHARON="  keep_alive = 20s"
PROFILE_V6=no

profile_credentials() {
	client_cert 'cn = "bob@example.com"
email = "bob@example.com"'
}

profile_swanctl() {
	cat <<EOT
connections {
  $CLIENT_CONN {
    version = 2
    remote_addrs = $LAB_SERVER_ADDR
    vips = 0.0.0.0
    fragmentation = yes
    mobike = yes
    send_certreq = no
    dpd_delay = 600s
    proposals = aes256-sha256-modp2048
    local {
      auth = pubkey
      certs = client.crt
      id = bob@example.com
    }
    remote {
      auth = pubkey
      id = $LAB_SERVER_ID
    }
    children {
      $CLIENT_CONN {
        remote_ts = 0.0.0.0/0
        # no DH group: rekeys without PFS
        esp_proposals = aes256-sha256
      }
    }
  }
}
EOT
}

profile_verify() {
	client_rekey_child
	expect_client_log "CHILD_SA $CLIENT_CONN\\{[0-9]+\\} established" "no CHILD_SA established"
	client_ping "$LAB_LAN_HOST4" ||
		lab_fail "ping through the rekeyed CHILD_SA (no DH) failed"
}
