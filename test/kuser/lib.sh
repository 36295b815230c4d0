# SPDX-License-Identifier: MIT
# lib.sh - shared by the kernel-user shell tests: algorithms (kanmon IDs and
# the same keys as Linux `ip xfrm` arguments), deterministic keys.

# NAME ENC_ID ENC_KEY_BYTES INTEG_ID INTEG_KEY_BYTES XFRM_ENC XFRM_AUTH ICV_BITS
KU_ALGS="aes128gcm16 20 20 0 0 rfc4106(gcm(aes)) - 128
aes256gcm16 20 36 0 0 rfc4106(gcm(aes)) - 128
aes128-sha1 12 16 2 20 cbc(aes) hmac(sha1) 96
aes256-sha1 12 32 2 20 cbc(aes) hmac(sha1) 96
aes128-sha256 12 16 12 32 cbc(aes) hmac(sha256) 128
aes256-sha256 12 32 12 32 cbc(aes) hmac(sha256) 128
aes256-sha384 12 32 13 48 cbc(aes) hmac(sha384) 192
aes256-sha512 12 32 14 64 cbc(aes) hmac(sha512) 256
3des-sha1 3 24 2 20 cbc(des3_ede) hmac(sha1) 96"

# ku_key BYTES SEED: hex of BYTES deterministic bytes (test keys, never secrets)
ku_key() {
	i=0; out=
	while [ "$i" -lt "$1" ]; do
		out=$out$(printf '%02x' $(( (i * 37 + $2 * 11 + 5) % 256 )))
		i=$((i + 1))
	done
	echo "$out"
}

# ku_alg NAME: sets ENC EKL INTEG IKL XENC XAUTH ICV
ku_alg() {
	line=$(echo "$KU_ALGS" | grep "^$1 ") || return 1
	set -- $line
	ENC=$2 EKL=$3 INTEG=$4 IKL=$5 XENC=$6 XAUTH=$7 ICV=$8
}

ku_alg_names() { echo "$KU_ALGS" | cut -d' ' -f1; }

# ku_wait_ready FILE SECONDS [PID]: until the driver printed "ready" (or died)
ku_wait_ready() {
	n=0
	while ! grep -q '^ready' "$1" 2>/dev/null; do
		[ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
		n=$((n + 1))
		[ "$n" -gt $(($2 * 20)) ] && return 1
		sleep 0.05
	done
}
