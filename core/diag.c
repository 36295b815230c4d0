/* SPDX-License-Identifier: MIT */
/* diag.c - see diag.h. Allocation failures drop the line, never crash. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void diag_add(struct diag *d, const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	char **lines = realloc(d->lines, (d->n + 1) * sizeof(*lines));
	if (!lines) {
		free(line);
		return;
	}
	d->lines = lines;
	d->lines[d->n++] = line;
}

void diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	d->lines = NULL;
	d->n = 0;
}

int diag_contains(const struct diag *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->lines[i], needle))
			return 1;
	return 0;
}
