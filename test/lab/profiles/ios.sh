# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# iOS/iPadOS built-in IKEv2 client (sourced by test/lab/run).
# Facts of CLIENTS.md encoded here:
# - 1a: default IKE AES256-CBC/SHA2-256/PRF256 with ECP256 or MODP2048 (profile
#   defaults AES-256, SHA2-256, DH14; only iOS offers ECP256), ESP AES256/SHA2-256
#   first, child SA offered with and without DH (modp2048-modpnone)
# - 1a: cert auth (RSA); ID sent = configured LocalIdentifier (here an email,
#   RFC822 ID); remote ID = the server FQDN, which must be a SAN of the server cert
# - 1b: sends FRAG_SUP (fragmentation), REDIR_SUP, INITIAL_CONTACT, MOBIKE on,
#   CPRQ for address + DNS, NAT keepalive 20 s (Wi-Fi), DPD "Medium" = 10 min,
#   lifetime 1440 min
# - 1b: sends no CERTREQ (unless ServerCertificateIssuerCommonName is set), so
#   the server must send its certificate unasked (send_certreq = no)
# Not encoded: the CPRQ's MASK, DHCP, ADDR6, DNS6 and DOMAIN requests
# (strongSwan asks for ADDR and DNS; the strongswan-app profile covers IPv6);
# the legacy suites iOS also offers without a profile (AES128/3DES-SHA1-MODP1024).
PROFILE_DESC="iOS/iPadOS IKEv2: cert, email ID, aes256-sha256-ecp256/modp2048, fragmentation, MOBIKE"
PROFILE_LEASE_ID=alice@example.com
PROFILE_CHARON="  keep_alive = 20s"
PROFILE_V6=no

profile_credentials() {
	client_cert 'cn = "alice@example.com"
email = "alice@example.com"'
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
    rekey_time = 1440m
    proposals = aes256-sha256-ecp256, aes256-sha256-modp2048
    local {
      auth = pubkey
      certs = client.crt
      id = alice@example.com
    }
    remote {
      auth = pubkey
      id = $LAB_SERVER_ID
    }
    children {
      $CLIENT_CONN {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes256-sha256-modp2048-modpnone
      }
    }
  }
}
EOT
}

profile_verify() {
	# a 2048-bit RSA cert makes IKE_AUTH > 1280 bytes: the server had to
	# reassemble RFC 7383 fragments, and its own IKE_AUTH may be fragmented
	expect_client_log "splitting IKE message .* into [0-9]+ fragments" \
		"IKE_AUTH was not fragmented (fragmentation not negotiated?)"
	expect_client_log "peer supports MOBIKE" "the server did not announce MOBIKE support"
}
