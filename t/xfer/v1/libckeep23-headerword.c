/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An untyped block the C library allocated (realpath's) holding a 16-byte
 * token as regcomp's nodes do, copied whole from the stack: the type
 * bitfield in the low byte of its second word, above it what the stack
 * held before, here the C library's load address (dl_iterate_phdr's
 * dlpi_addr, dladdr's dli_fbase).  That word reads as an address inside
 * the C library's ELF header, 3 bytes past its start, where nothing a
 * pointer could point to begins: it is a number and must reach the new
 * version unchanged.  Moved with the library instead, the token's flag
 * bits above bit 12 changed with the new load address (update-libckeep's
 * directives: dfa->nodes[7], a SIMPLE_BRACKET whose "duplicated" bit
 * flipped, regfree freed its set and the program aborted at exit). */
#define _GNU_SOURCE /* realpath, dl_iterate_phdr */
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define TOKEN_SIMPLE_BRACKET 3u

struct libc_token;         /* the C library's, declared nowhere */
static struct libc_token *token; /* realpath's block: untyped */
static uint64_t written;   /* its second word as written */

/* The C library's load address (its ELF header's), 0 if not found. */
static int libc_base(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (!strstr(info->dlpi_name, "/libc.so"))
		return 0;
	*(uintptr_t *)data = info->dlpi_addr;
	return 1;
}

static __attribute__((noinline)) void init(void)
{
	uintptr_t left_over = 0;

	dl_iterate_phdr(libc_base, &left_over);
	if (!left_over)
		abort();
	/* a block malloc'd inside the C library, as regcomp's */
	token = (struct libc_token *)realpath("/usr/lib/x86_64-linux-gnu", NULL);
	if (!token)
		abort();
	/* the low byte is the token's type, the rest the stack's leftover */
	written = left_over | TOKEN_SIMPLE_BRACKET;
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
	free(token);
	XT_V2_RESULT();
#endif
}
