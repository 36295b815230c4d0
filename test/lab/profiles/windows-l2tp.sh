# SPDX-License-Identifier: MIT
# Client profile: windows-l2tp - Windows 10/11 built-in "L2TP/IPsec with
# pre-shared key", emulated by strongSwan charon (IKEv1, kernel ESP) + xl2tpd
# (LAC) + pppd inside user-mode Linux. Run by test/lab/uml/run-l2tp.sh
# (test/lab/run windows-l2tp --server strongswan --uml execs it). Sourced (sh).
#
# Facts encoded (CLIENTS.md 1a/1b):
#  - IKEv1 Main Mode; IKE aes256-sha1-ecp384, aes128-sha1-ecp256,
#    3des-sha1-modp1024; ESP aes256-sha1, aes128-sha1, 3des-sha1 [1a].
#  - PSK chosen (Windows offers PSK or machine certificate; certificates are
#    covered by android-l2tp): with PSK Windows' IKE ID is ID_IPV4_ADDR = its
#    own PRIVATE address behind the NAT [1a], so the server must accept an ID
#    that is not the packet's source address.
#  - behind NAT (AssumeUDPEncapsulationContextOnSendRule=2 on the real client
#    [1b]): NAT-T, ESP in UDP/4500, transport mode udp/1701 both ways.
#  - PPP: CHAP or MS-CHAPv2 after IPsec [1a]: PAP, EAP and MS-CHAPv1 are
#    refused (MS-CHAPv1 is gone since Vista); the server is run offering
#    MS-CHAPv2, which is what Windows then uses. Windows asks for DNS (IPCP).
#  - routes: with "use default gateway on remote network" off Windows adds a
#    class-based route for the PPP address [1b: "Ignores TS for routing:
#    class-based route"] - 203.0.113.x is class C -> 203.0.113.0/24.
# Assumed, not in CLIENTS.md: PPP MTU/MRU 1400, L2TP host name = computer name.

PROFILE_DESC="Windows 10/11 L2TP/IPsec PSK"
PROFILE_KIND=l2tp

# IKE (client side)
L2TP_IKE_PROPOSALS="aes256-sha1-ecp384,aes128-sha1-ecp256,3des-sha1-modp1024"
L2TP_ESP_PROPOSALS="aes256-sha1,aes128-sha1,3des-sha1"
L2TP_IKE_FRAGMENTATION=yes
L2TP_AUTH=psk                                 # pubkey | psk
L2TP_PSK="windows-l2tp-psk"
L2TP_CLIENT_ID=                               # empty: own (private) address
L2TP_REMOTE_ID=                               # empty: any (PSK)
L2TP_EXPECT_IKE_ID="@CLIENT_ADDR@"            # the private address behind NAT

# server side of this deployment (inputs to the adapter)
L2TP_SERVER_CLIENT_DN=
L2TP_REJECT_DN=
L2TP_LNS_AUTH="mschap-v2"

# L2TP (xl2tpd LAC)
L2TP_HOSTNAME=DESKTOP-LAB
L2TP_TUNNEL_RWS=

# PPP
L2TP_PPP_USER=winuser
L2TP_PPP_PASSWORD=windows-ppp-secret
L2TP_PPP_OPTIONS="refuse-pap refuse-eap refuse-mschap nodefaultroute usepeerdns mtu 1400 mru 1400"
L2TP_EXPECT_PPP_AUTH="MS-v2"
L2TP_ROUTES="203.0.113.0/24"                  # class-based route
