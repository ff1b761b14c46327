/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * static-tls.c - where the calling thread's static thread-local blocks
 * lie (x86-64: below its thread pointer), for the sweep of the new
 * startup's objects (transfer/startup.c), which scans the caller's own
 * TLS as a root but neither the memory below it nor libstf's own block.
 */
#include <link.h>
#include <stdbool.h>
#include <stdint.h>

#include "static-tls.h"

/* Static TLS lies within this much below a thread pointer. */
#define STATIC_TLS_MAX (16u << 20)

/* dl_iterate_phdr: the calling thread's static thread-local blocks
 * (below its thread pointer, x86-64), the lowest and libstf's own. */
struct tls_blocks { uint64_t tp, lowest, own_start, own_end; };

static int tls_block(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct tls_blocks *b = ctx;
	uint64_t here = (uint64_t)(uintptr_t)&stf__static_tls, tls = 0;
	uint64_t data = (uint64_t)(uintptr_t)info->dlpi_tls_data;
	bool mine = false;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t at = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && here >= at && here - at < ph->p_memsz)
			mine = true;
		else if (ph->p_type == PT_TLS)
			tls = ph->p_memsz;
	}
	/* (a block far from the thread pointer is dynamic TLS, malloc'd) */
	if (!tls || !data || data >= b->tp || b->tp - data > STATIC_TLS_MAX)
		return 0;
	if (!b->lowest || data < b->lowest)
		b->lowest = data;
	if (mine) {
		b->own_start = data;
		b->own_end = data + tls;
	}
	return 0;
}

void stf__static_tls(uint64_t *lowest, uint64_t *own_start, uint64_t *own_end)
{
	struct tls_blocks b = { (uint64_t)(uintptr_t)__builtin_thread_pointer(), 0, 0, 0 };
	dl_iterate_phdr(tls_block, &b);
	*lowest = b.lowest;
	*own_start = b.own_start;
	*own_end = b.own_end;
}
