/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scalar conversions between versions; argv[1] puts a value that the new
 * type cannot hold exactly. */
#include <stdbool.h>
#include <stdint.h>
#include "xt.h"

enum color { C_RED = 1, C_GREEN = 2, C_BLUE = 4 };

struct metrics {
	int requests;          /* -> float (exact below 2^24) */
	double ratio;          /* -> float (exact for 0.5) */
	float load;            /* -> int (whole numbers only) */
	long long bytes;       /* -> double (exact below 2^53) */
	bool enabled;          /* -> int */
	int8_t delta;          /* -> int64_t */
	uint16_t port;         /* -> int32_t */
	enum color color;      /* -> int */
	int mode;              /* -> enum color */
	char grade;            /* -> unsigned char */
};

static struct metrics m[2];
static struct metrics *mp = &m[1];

static __attribute__((noinline)) void init(const char *bad)
{
	for (int i = 0; i < 2; i++) {
		m[i].requests = 16777216 - i;
		m[i].ratio = 0.5 * (i + 1);
		m[i].load = 3.0f + (float)i;
		m[i].bytes = (1LL << 53) - i;
		m[i].enabled = i;
		m[i].delta = (int8_t)(-128 + i);
		m[i].port = (uint16_t)(65535 - i);
		m[i].color = i ? C_BLUE : C_GREEN;
		m[i].mode = i ? 4 : 1;
		m[i].grade = (char)('A' + i);
	}
	if (!strcmp(bad, "int-float"))
		m[1].requests = 16777217;
	else if (!strcmp(bad, "double-float"))
		m[0].ratio = 0.1;
	else if (!strcmp(bad, "float-int"))
		m[1].load = 2.5f;
	else if (!strcmp(bad, "ll-double"))
		m[0].bytes = (1LL << 53) + 1;
	else if (!strcmp(bad, "int-enum"))
		m[1].mode = 3;
	else if (!strcmp(bad, "char-uchar"))
		m[0].grade = -5;
	mp = &m[1];
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
