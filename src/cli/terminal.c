/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Colour only on a terminal, and never when NO_COLOR is set (no-color.org). */
static bool use_style(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (nc && *nc)
		return false;
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fileno(f));
}

const char *cli_style(FILE *f, const char *what)
{
	static const struct {
		const char *name, *seq;
	} styles[] = {
		{ "bold", "\033[1m" },	 { "dim", "\033[2m" },	  { "red", "\033[1;31m" },
		{ "yellow", "\033[33m" }, { "green", "\033[32m" }, { "reset", "\033[0m" },
	};

	if (!use_style(f))
		return "";
	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++)
		if (!strcmp(styles[i].name, what))
			return styles[i].seq;
	return "";
}
