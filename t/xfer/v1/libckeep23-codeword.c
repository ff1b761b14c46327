/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An untyped block the C library allocated (realpath's) holding a 16-byte
 * token as regcomp's nodes do: regcomp copies each token whole from the
 * stack, its type and flags bitfields in the low bytes of the second
 * word, the padding above them what the stack held before, here a
 * return address into the C library's code (qsort's, calling the
 * comparator).  That word reads as an address inside libc's code where
 * no function begins; it is a number and must reach the new version
 * unchanged.  Moved with the library instead, the flags changed (the
 * "duplicated" bit of update-libckeep's directives: regfree freed a node
 * set twice and the program aborted at exit). */
#define _DEFAULT_SOURCE /* realpath */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define TOKEN_SIMPLE_BRACKET 3u

struct libc_token;         /* the C library's, declared nowhere */
static struct libc_token *token; /* realpath's block: untyped */
static uint64_t written;   /* its second word as written */
static uintptr_t left_over; /* what the stack held: a return address */

static __attribute__((noinline)) int by_value(const void *a, const void *b)
{
	left_over = (uintptr_t)__builtin_return_address(0);
	return *(const int *)a - *(const int *)b;
}

static __attribute__((noinline)) void init(void)
{
	int keys[2] = { 2, 1 };

	qsort(keys, 2, sizeof keys[0], by_value);
	/* a block malloc'd inside the C library, as regcomp's */
	token = (struct libc_token *)realpath("/usr/lib/x86_64-linux-gnu", NULL);
	if (!token)
		abort();
	/* the low byte is the token's type, the rest the stack's leftover */
	written = (left_over & ~(uint64_t)0xff) | TOKEN_SIMPLE_BRACKET;
	memset((char *)token, 0, 8);
	memcpy((char *)token + 8, &written, sizeof written);
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	uint64_t now;

	memcpy(&now, (const char *)token + 8, sizeof now);
	CHECK(now == written);
	CHECK((now & 0xff) == TOKEN_SIMPLE_BRACKET);
	free(token);
	XT_V2_RESULT();
#endif
}
