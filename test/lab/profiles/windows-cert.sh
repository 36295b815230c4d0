# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Windows 10/11 built-in IKEv2 client with a machine certificate (sourced by
# test/lab/run).
# Facts of CLIENTS.md encoded here:
# - 1a: IKE 3DES/AES128/192/256 x SHA1/256/384 with MODP1024 only (no
#   NegotiateDH2048_AES256 registry key); ESP aes256-aes128-3des-des-null with
#   sha1, in that order
# - 1a: machine cert, RSA PKCS#1 v1.5 with SHA-1, auth method 1: Windows does not
#   send SIGNATURE_HASH_ALGORITHMS (RFC 7427) -> strongSwan's
#   signature_authentication = no; the server has to accept and produce a
#   method-1 SHA-1 signature (EL9 servers with SHA-1 disabled fail: 13838)
# - 1a: ID sent = the certificate's subject DN (no local id configured)
# - 1b: server cert needs serverAuth and the hostname in a dNSName SAN (13801);
#   RFC 7383 fragmentation, in small (~626-byte) fragments; MOBIKE yes
# Not encoded: CPRQ NBNS/SRV/ADDR6 (strongSwan asks for ADDR and DNS only).
PROFILE_DESC="Windows IKEv2 machine cert: modp1024, aes256/3des-sha1, auth method 1 (RSA SHA-1), subject DN as ID"
PROFILE_LEASE_ID="C=US, O=Lab, CN=win10.example.com"
PROFILE_CHARON="  signature_authentication = no
  fragment_size = 626"
PROFILE_V6=no

profile_credentials() {
	client_cert 'country = "US"
organization = "Lab"
cn = "win10.example.com"'
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
    proposals = aes256-sha1-modp1024, aes128-sha1-modp1024, 3des-sha1-modp1024, aes256-sha256-modp1024, aes256-sha384-modp1024
    local {
      auth = pubkey
      certs = client.crt
    }
    remote {
      auth = pubkey
      id = $LAB_SERVER_ID
    }
    children {
      $CLIENT_CONN {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes256-sha1, aes128-sha1, 3des-sha1, des-sha1, null-sha1
      }
    }
  }
}
EOT
}

profile_verify() {
	[ "$(client_sa_field dh-group)" = MODP_1024 ] ||
		lab_fail "IKE DH group is $(client_sa_field dh-group), Windows offers MODP_1024 only"
	expect_client_log "\\(myself\\) with RSA signature successful" \
		"the client did not authenticate with auth method 1 (RSA, SHA-1)"
	expect_client_log "authentication of '$LAB_SERVER_ID' with RSA signature successful" \
		"the server did not authenticate with auth method 1 (Windows cannot verify RFC 7427 signatures)"
	expect_client_log "splitting IKE message .* into [3-9] fragments" \
		"IKE_AUTH was not split into small fragments"
}
