/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An untyped block the C library allocated (realpath's) holding a 16-byte
 * token as regcomp's nodes do, copied whole from the stack: its type and
 * flag bitfields in the low bits of its second word (type 3, the
 * "duplicated" bit 18), above them what the stack held before.  That
 * word reads as an address inside the C library's dynamic linking tables
 * (its first, read-only segment before its code: .dynsym, .dynstr),
 * where the update-libckeep directives' node 7 landed (0x1a003, 0x1f003
 * into libc).  It is a number and must reach the new version unchanged;
 * moved with the library, bits 12-22 followed the new load address, the
 * "duplicated" bit flipped, regfree freed the node's set and the program
 * aborted at exit ("free(): invalid pointer"). */
#define _GNU_SOURCE /* realpath, dl_iterate_phdr */
#include <link.h>
#include <string.h>
#include "xt.h"
#include "libtoken.h"

/* the C library's, declared nowhere */
static struct libc_token *token; /* realpath's block: untyped */
static uint64_t written;   /* its second word as written */

/* A page boundary in the middle of the C library's first segment when
 * that is read-only (its dynamic linking tables), 0 if none. */
static int libc_tables(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (!strstr(info->dlpi_name, "/libc.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (!(ph->p_flags & (PF_X | PF_W)) && ph->p_memsz > 0x2000)
			*(uintptr_t *)data = info->dlpi_addr + ph->p_vaddr +
				((ph->p_memsz / 2) & ~(uint64_t)0xfff);
		break;
	}
	return 1;
}

static __attribute__((noinline)) void init(void)
{
	uintptr_t left_over = 0;

	dl_iterate_phdr(libc_tables, &left_over);
	if (!left_over)
		abort();
	put_token(left_over);
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	check_token();
	XT_V2_RESULT();
#endif
}
