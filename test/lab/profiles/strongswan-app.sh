# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# strongSwan VPN Client app for Android (ikev2-cert), sourced by test/lab/run.
# Facts of CLIENTS.md encoded here:
# - 1a: charon defaults + AEAD: curve25519, ECP384/521/256, MODP3072/4096/2048/
#   8192; ESP AES-GCM/ChaCha and AES-CBC x SHA384/256/512/SHA1
# - 1a: ikev2-cert; ID = the certificate's subject DN (no local id set)
# - 1b: always UDP-encapsulates (force_encap: encap = yes), fragmentation;
#   virtual IPs v4 + v6 with TS 0/0 and ::/0; IKE rekey 10 h, CHILD 2 h
#   (unique=replace is server-side: the lab server has it)
PROFILE_DESC="strongSwan Android app: forced UDP encapsulation, IPv4 + IPv6 virtual IPs, subject DN"
PROFILE_LEASE_ID="C=US, O=Lab, CN=sswan-user"
PROFILE_V6=yes

profile_credentials() {
	client_cert 'country = "US"
organization = "Lab"
cn = "sswan-user"'
}

profile_swanctl() {
	cat <<EOT
connections {
  $CLIENT_CONN {
    version = 2
    remote_addrs = $LAB_SERVER_ADDR
    vips = 0.0.0.0, ::
    encap = yes
    fragmentation = yes
    mobike = yes
    rekey_time = 10h
    proposals = aes256gcm16-aes128gcm16-chacha20poly1305-prfsha384-prfsha256-curve25519-ecp384-ecp521-ecp256-modp3072-modp4096-modp2048-modp8192, default
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
        remote_ts = 0.0.0.0/0, ::/0
        rekey_time = 2h
        esp_proposals = aes256gcm16-aes128gcm16-chacha20poly1305, aes256-aes128-sha384-sha256-sha512-sha1
      }
    }
  }
}
EOT
}

profile_verify() {
	# (kernel-libipsec and the NAT router make every lab SA UDP-encapsulated;
	# the check matters once a server or client uses kernel ESP)
	[ "$(client_sa_field encap)" = yes ] || lab_fail "the CHILD_SA is not UDP-encapsulated"
}
