/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl - what a control-socket client can send: the request line
 * splitter, and every word echoed back through the JSON string escaper,
 * whose output must stay valid JSON (no raw control characters or quotes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[CTL_MAX_LINE + 1];
	if (size > CTL_MAX_LINE)
		size = CTL_MAX_LINE;
	memcpy(line, data, size);
	line[size] = '\0';
	char *argv[CTL_MAX_ARGS];
	int argc = ctl_split(line, argv, CTL_MAX_ARGS);
	if (argc < 0 || argc > CTL_MAX_ARGS)
		abort();
	for (int i = 0; i < argc; i++) {
		struct sbuf b = { 0 };
		sbuf_json_str(&b, argv[i]);
		if (!b.failed) {
			if (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"')
				abort();
			for (size_t j = 1; j + 1 < b.len; j++) {
				unsigned char ch = (unsigned char)b.data[j];
				if (ch < 0x20)
					abort();
				if (ch == '\\')
					j++;	/* escaped: skip the next one */
				else if (ch == '"')
					abort();
			}
		}
		sbuf_free(&b);
	}
	return 0;
}
