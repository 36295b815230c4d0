# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Windows 10/11 built-in IKEv2 client with EAP-MSCHAPv2 (user name and
# password), sourced by test/lab/run.
# Facts of CLIENTS.md encoded here:
# - 1a: IKE with MODP1024 only, sha1, aes/3des; ESP aes256-aes128-3des-des-null
#   with sha1
# - 1a: EAP-MSCHAPv2; IKE ID = the client's own IP address (behind NAT: the
#   private 192.0.2.2), the user name only comes in an EAP-Identity exchange,
#   so the server must ask for it (eap_id = %any); the server authenticates
#   with its certificate
# - 2.1: identity mismatch is the classic failure ("no matching peer config")
# - 1b: RFC 7383 fragmentation, MOBIKE yes
PROFILE_DESC="Windows IKEv2 EAP-MSCHAPv2: IP address as IKE ID, EAP-Identity, modp1024"
PROFILE_LEASE_ID=$LAB_EAP_USER
PROFILE_PLUGINS="eap-identity eap-mschapv2"
PROFILE_CHARON="  signature_authentication = no
  fragment_size = 626"
PROFILE_V6=no

profile_credentials() { :; }

profile_swanctl() {
	cat <<EOT
connections {
  $CLIENT_CONN {
    version = 2
    remote_addrs = $LAB_SERVER_ADDR
    vips = 0.0.0.0
    fragmentation = yes
    mobike = yes
    proposals = aes256-sha1-modp1024, aes128-sha1-modp1024, 3des-sha1-modp1024
    local {
      auth = eap-mschapv2
      id = $LAB_CLIENT_ADDR
      eap_id = $LAB_EAP_USER
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
secrets {
  eap-user {
    id = $LAB_EAP_USER
    secret = "$LAB_EAP_SECRET"
  }
}
EOT
}

profile_verify() {
	expect_client_log "server requested EAP_IDENTITY" \
		"the server did not ask for the EAP identity (Windows sends its IP as IKE ID)"
	expect_client_log "EAP method EAP_MSCHAPV2 succeeded" "EAP-MSCHAPv2 did not succeed"
	expect_client_log "authentication of '$LAB_SERVER_ID' with RSA" \
		"the server did not authenticate with its RSA certificate"
}
