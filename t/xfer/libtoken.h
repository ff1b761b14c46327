/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libtoken.h - shared by t/xfer's libckeep23-* pairs: an untyped block
 * the C library allocated (realpath's) holding a 16-byte token as
 * regcomp's nodes do.  regcomp copies each token whole from the stack:
 * its type and flag bitfields in the low bits of the second word, above
 * them what the stack held before (a return address, an address into a
 * library).  That word is a number and must reach the new version
 * unchanged: moved with the library it seems to point into, its flags
 * changed (update-libckeep's directives: a node set lost its
 * "duplicated" bit, regfree freed it twice, the program aborted at exit).
 * Include after xt.h.
 */
#ifndef LIBTOKEN_H
#define LIBTOKEN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_SIMPLE_BRACKET 3u

struct libc_token;         /* the C library's, declared nowhere */
static struct libc_token *token; /* realpath's block: untyped */
static uint64_t written;   /* its second word as written */

/* The block, its second word the type over the leftover's high bits. */
static void put_token(uint64_t left_over)
{
	/* a block malloc'd inside the C library, as regcomp's */
	token = (struct libc_token *)realpath("/usr/lib/x86_64-linux-gnu", NULL);
	if (!token)
		abort();
	written = (left_over & ~(uint64_t)0xff) | TOKEN_SIMPLE_BRACKET;
	memset((char *)token, 0, 8);
	memcpy((char *)token + 8, &written, sizeof written);
}

/* Version 2: the word arrived as written; the block is freed. */
static void check_token(void)
{
	uint64_t now;

	memcpy(&now, (const char *)token + 8, sizeof now);
	CHECK(now == written);
	CHECK((now & 0xff) == TOKEN_SIMPLE_BRACKET);
	free(token);
}

#endif
