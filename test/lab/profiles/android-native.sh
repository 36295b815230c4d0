# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Android 11+ native IKEv2 client (cert), sourced by test/lab/run.
# Facts of CLIENTS.md encoded here:
# - 1a: IKE AES-CBC/CTR 256/192/128 + HMAC SHA512/384/256, or AES-GCM/
#   ChaCha20-Poly1305; DH MODP4096, Curve25519, MODP3072, MODP2048;
#   NO SHA-1 and NO MODP1024; ESP from the same families
#   (AES-XCBC/CMAC left out: not in the lab's plugin set)
# - 1a: RSA cert auth with method 14 (RFC 7427 digital signature, SHA-2) when
#   the server sent SIGNATURE_HASH_ALGORITHMS (else it falls back to method 1
#   SHA-1): the profile checks that method 14 was used
# - 1a: ID inferred from the configured string: no '@', not an IP -> FQDN
#   (android.example.com, a dNSName SAN of the client cert)
# - 1b: server hostname in a SAN; FRAGMENTATION and MOBIKE; DPD 120 s,
#   NAT-T keepalive 10 s, retransmits 0.5/1/2/4/8 s
PROFILE_DESC="Android 11+ native IKEv2: cert, FQDN ID, no SHA-1/MODP1024, RFC 7427 (auth method 14)"
PROFILE_LEASE_ID=android.example.com
PROFILE_CHARON="  keep_alive = 10s
  retransmit_timeout = 0.5
  retransmit_base = 2
  retransmit_tries = 4"
PROFILE_V6=no

profile_credentials() {
	client_cert 'cn = "android.example.com"
dns_name = "android.example.com"'
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
    dpd_delay = 120s
    proposals = aes256gcm16-aes128gcm16-chacha20poly1305-prfsha512-prfsha384-prfsha256-modp4096-curve25519-modp3072-modp2048, aes256-aes192-aes128-aes256ctr-aes192ctr-aes128ctr-sha512-sha384-sha256-modp4096-curve25519-modp3072-modp2048
    local {
      auth = pubkey
      certs = client.crt
      id = android.example.com
    }
    remote {
      auth = pubkey
      id = $LAB_SERVER_ID
    }
    children {
      $CLIENT_CONN {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes256gcm16-aes128gcm16-chacha20poly1305, aes256-aes192-aes128-aes256ctr-aes128ctr-sha512-sha384-sha256
      }
    }
  }
}
EOT
}

profile_verify() {
	expect_client_log "\\(myself\\) with RSA_EMSA_PKCS1_SHA2_(256|384|512) successful" \
		"the client did not use auth method 14 (did the server send SIGNATURE_HASH_ALGORITHMS?)"
	case $(client_sa_field integ-alg)$(client_sa_field prf-alg) in
	*SHA1*) lab_fail "a SHA-1 algorithm was negotiated" ;;
	esac
	[ "$(client_sa_field dh-group)" != MODP_1024 ] || lab_fail "MODP_1024 was negotiated"
}
