#!/bin/sh
# SPDX-License-Identifier: MIT
# bench.sh - inside UML (one boot, the whole UML pinned to one host CPU by
# run.sh): bench_xfrm installs 10,000 SA pairs + 10,000 policies through
# kernel-xfrm and the same with ip -batch, and prints both rates.
set -eu
BENCH_DIR=/tmp ./bench_xfrm "${XFRM_BENCH_N:-10000}"
