/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An untyped block the C library allocated (realpath's) holding a 16-byte
 * token as regcomp's nodes do, copied whole from the stack: the type
 * bitfield in the low byte of its second word, above it what the stack
 * held before, here an address in zlib's read-only data (libstf loads
 * zlib; the C library does not need it).  That word is a number and must
 * reach the new version unchanged; moved with zlib instead, the token's
 * flags changed (update-libckeep's directives aborted at exit when ASLR
 * put a leftover into libz's .rodata).  The block's third word, a
 * pointer into the C library's own data (stdin's FILE), is the library's
 * and still follows it. */
#define _GNU_SOURCE /* realpath, dl_iterate_phdr */
#include <link.h>
#include <stdio.h>
#include <string.h>
#include "xt.h"
#include "libtoken.h"

/* the C library's, declared nowhere */
static struct libc_token *token; /* realpath's block: untyped */
static uint64_t written;   /* its second word as written */

/* An address 0x100 bytes into zlib's first read-only segment after its
 * code (its .rodata), 0 if zlib is not loaded. */
static int zlib_rodata(struct dl_phdr_info *info, size_t size, void *data)
{
	int after_code = 0;
	(void)size;
	if (!strstr(info->dlpi_name, "/libz.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_flags & PF_X)
			after_code = 1;
		else if (after_code && !(ph->p_flags & PF_W) && ph->p_memsz > 0x200) {
			*(uintptr_t *)data = info->dlpi_addr + ph->p_vaddr + 0x100;
			return 1;
		}
	}
	return 0;
}

static __attribute__((noinline)) void init(void)
{
	uintptr_t left_over = 0;

	dl_iterate_phdr(zlib_rodata, &left_over);
	if (!left_over)
		abort();
	put_token(left_over);
	FILE *in = stdin;
	memcpy((char *)token + 16, &in, sizeof in);
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	FILE *in;

	memcpy(&in, (const char *)token + 16, sizeof in);
	CHECK(in == stdin);
	check_token();
	XT_V2_RESULT();
#endif
}
