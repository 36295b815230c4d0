# SPDX-License-Identifier: MIT
# Client profile: android-l2tp - Android <= 11 native "L2TP/IPsec RSA"
# (racoon + mtpd + pppd), emulated by strongSwan charon (IKEv1, kernel ESP) +
# xl2tpd (LAC) + pppd inside user-mode Linux. Run by test/lab/uml/run-l2tp.sh
# (test/lab/run android-l2tp --server strongswan --uml execs it). Sourced (sh).
#
# Facts encoded (CLIENTS.md 1a/1b, SEEDS.md B):
#  - IKEv1 Main Mode, MODP1024 only; AES256 x {SHA384, SHA256, SHA512, SHA1,
#    MD5}, AES128, 3DES [1a]. DES is not offered: strongSwan has no DES here.
#  - ESP: AES256/AES128/3DES x HMAC SHA512/384/1/256/MD5 [1a], no PFS
#    [SEEDS B]; transport mode, 17/1701 on both ends of the client's
#    selector [1a]; the server side accepts 17/any [SEEDS B].
#  - udprsa: RSA signatures, the client's ID is its certificate's subject as
#    ASN.1 DN [1a]. The server accepts a wildcard DN "C=JP, O=Example Inc.,
#    CN=*" [SEEDS B]: a certificate of the same CA outside it must be refused.
#  - server certificate CN = the FQDN typed on the phone, issued directly by
#    the root CA (one CA certificate only) [SEEDS B] -> remote ID = that DN,
#    trust anchor = the root only.
#  - NAT-T on, IKE fragmentation on (ike_frag) [1b]; a mobile phone sits
#    behind (carrier) NAT.
#  - L2TP: receive window 1, host name "anonymous" [1b]. (Not emulated: the
#    fixed 2 s retransmit without limit, and that mtpd never sends HELLO.)
#  - PPP: mtpd passes pppd exactly "name USER password PASS linkname vpn
#    refuse-eap nodefaultroute usepeerdns idle 1800 mtu 1400 mru 1400"
#    (AOSP Vpn.java) - user name and
#    password are always sent, even with certificates [1a, 1b, SEEDS B]. The
#    later 1270 MTU is not used here.
#  - routes: the VPN framework sends everything through the tunnel (full
#    tunnel), the server's public address excepted.
#  - The seed LNS (SEEDS B) requires CHAP and refuses PAP: that is the LNS
#    authentication this profile is run against (pppd as Android's peer takes
#    MD5-CHAP as offered).
# Not emulated: sha2-truncbug (Android 6/7 HMAC-SHA256 with 96-bit ICV).

PROFILE_DESC="Android <=11 L2TP/IPsec RSA (racoon+mtpd)"
PROFILE_KIND=l2tp

# IKE (client side)
# strongSwan's IKEv1 encoding takes only the FIRST integrity/PRF of a
# multi-algorithm proposal, so racoon's list is spelled out one per proposal.
L2TP_IKE_PROPOSALS=$(for e in aes256 aes128 3des; do for h in sha384 sha256 sha512 sha1 md5; do
	printf '%s-%s-modp1024,' $e $h; done; done | sed 's/,$//')
L2TP_ESP_PROPOSALS=$(for e in aes256 aes128 3des; do for h in sha512 sha384 sha1 sha256 md5; do
	printf '%s-%s,' $e $h; done; done | sed 's/,$//')
L2TP_IKE_FRAGMENTATION=yes
L2TP_AUTH=pubkey                              # pubkey | psk
L2TP_CLIENT_DN="C=JP, O=Example Inc., CN=alice"  # certificate subject = IKE ID
L2TP_CLIENT_ID=                               # empty: the subject DN (ASN.1 DN)
L2TP_REMOTE_ID="C=JP, O=Example Inc., CN=vpn.example.com"
L2TP_EXPECT_IKE_ID="C=JP, O=Example Inc., CN=alice"   # as the server must see it

# server side of this deployment (inputs to the adapter)
L2TP_SERVER_CLIENT_DN="C=JP, O=Example Inc., CN=*"  # wildcard DN accepted
L2TP_REJECT_DN="C=JP, O=Other Corp, CN=mallory"     # same CA, outside it
L2TP_LNS_AUTH=chap                            # chap | mschap-v2 | "chap mschap-v2"

# L2TP (xl2tpd LAC)
L2TP_HOSTNAME=anonymous
L2TP_TUNNEL_RWS=1

# PPP (pppd, options as mtpd passes them)
L2TP_PPP_USER=alice
L2TP_PPP_PASSWORD=android-ppp-secret
L2TP_PPP_OPTIONS="linkname vpn refuse-eap nodefaultroute usepeerdns idle 1800 mtu 1400 mru 1400"
L2TP_EXPECT_PPP_AUTH="MD5"                    # what the LCP must agree on
L2TP_ROUTES="0.0.0.0/1 128.0.0.0/1"          # full tunnel
