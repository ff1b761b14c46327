/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmap.c - tracked regions (see alloc.h): mmap, mmap64, munmap and mremap
 * replaced so that anonymous mappings are objects with a site and an ID,
 * and the objects a program registers itself (stf_register_object).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "heap.h"
#include "index.h"
#include "respawn.h"
#include "stf-format.h"
#include "stf.h"
#include "subobjects.h"

/* ------------------------------------------------------------------ */
/* Regions: mmap'd memory and user-registered objects.  Few and long-lived,
 * kept in a plain array of slot indices under stf__region_lock.              */

struct region *stf__regions;
size_t stf__nregions;
static size_t cap_regions;

static int region_add_locked(uint64_t addr, uint64_t size, uint32_t site, uint64_t id,
			     uint32_t kind, uint64_t count)
{
	if (stf__nregions == cap_regions) {
		size_t ncap = cap_regions ? 2 * cap_regions : 64;
		struct region *nr = __libc_realloc(stf__regions, ncap * sizeof *nr);
		if (!nr)
			return -1;
		stf__regions = nr;
		cap_regions = ncap;
	}
	pthread_mutex_lock(&stf__slot_lock);
	uint32_t slot = stf__slot_take_locked();
	pthread_mutex_unlock(&stf__slot_lock);
	if (!slot)
		return -1;
	struct stf_slot *s = slot_at(slot);
	s->addr = addr;
	s->size = size;
	s->id = id ? id : next_id();
	s->site = site;
	s->kind = kind;
	stf__regions[stf__nregions++] = (struct region){ slot, kind, count };
	mark_heap_changed();
	return 0;
}

static void region_del_locked(size_t i)
{
	struct stf_slot *s = slot_at(stf__regions[i].slot);
	s->addr = 0;
	s->kind = STF_SLOT_FREE;
	pthread_mutex_lock(&stf__slot_lock);
	stf__slot_put_locked(stf__regions[i].slot);
	pthread_mutex_unlock(&stf__slot_lock);
	stf__regions[i] = stf__regions[--stf__nregions];
	mark_heap_changed();
}

/* [addr, addr+len) is no longer mapped: trim, split or drop mappings. */
static void mmap_forget_locked(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	for (size_t i = 0; i < stf__nregions;) {
		if (stf__regions[i].kind != STF_SLOT_MMAP) {
			i++;
			continue;
		}
		struct stf_slot *s = slot_at(stf__regions[i].slot);
		uint64_t rs = s->addr, re = s->addr + s->size;
		if (re <= addr || rs >= end) {
			i++;
			continue;
		}
		if (addr <= rs && end >= re) {
			region_del_locked(i);
			continue;
		}
		if (addr > rs && end < re) {
			/* A hole in the middle: the tail becomes a new mapping
			 * of the same site with a new ID. */
			s->size = addr - rs;
			region_add_locked(end, re - end, s->site, 0, STF_SLOT_MMAP, 0);
		} else if (addr <= rs) {
			s->addr = end;
			s->size = re - end;
		} else {
			s->size = addr - rs;
		}
		mark_heap_changed();
		i++;
	}
}

/* Private mappings hold program state; a shared file mapping's state is
 * the file's, and a shared anonymous one is memory of the process tree,
 * handed to the new version as it is (tree.h). */
static bool mmap_tracked(int flags)
{
	return (flags & MAP_TYPE) == MAP_PRIVATE;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	uint32_t *cell = stf__alloc_site;
	stf__alloc_site = NULL;
	void *p = stf__raw_mmap(addr, len, prot, flags, fd, off);
	uint64_t rlen = (len + PAGE - 1) & ~(PAGE - 1);
	/* a mapping at a fixed address where this process reserved the past
	 * version's mapping (STF_AVOID): the new version's startup maps what
	 * the past version mapped there, the counterpart the transfer's
	 * re-created mapping replaces (stf__mmap_with) */
	if (p == MAP_FAILED && errno == EEXIST && (flags & MAP_FIXED_NOREPLACE) &&
	    stf__avoided_take((uintptr_t)addr, (uintptr_t)addr + rlen))
		p = stf__raw_mmap(addr, len, prot, (flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED, fd, off);
	else if (p != MAP_FAILED && (flags & MAP_FIXED))
		stf__avoided_forget((uintptr_t)p, rlen);
	if (p == MAP_FAILED)
		return p;
	ensure_tables();
	bool track_it = mmap_tracked(flags);
	uint32_t site = !track_it ? 0 : cell && *cell ? *cell : external_site((uintptr_t)__builtin_return_address(0));
	pthread_mutex_lock(&stf__region_lock);
	if (flags & MAP_FIXED)
		mmap_forget_locked((uintptr_t)p, rlen);
	if (track_it)
		region_add_locked((uintptr_t)p, rlen, site, 0, STF_SLOT_MMAP, 0);
	pthread_mutex_unlock(&stf__region_lock);
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

/* A mapping this process's startup made with site `site` at `at`, where
 * the transfer re-creates the past version's mapping of that site (a
 * program mapping a fixed address): that is its counterpart, which the
 * transfer's mapping replaces; the startup's references to it see the
 * transferred state.  0, or -1 if there is none. */
static int replace_startup_mapping(uint64_t at, uint32_t site)
{
	int r = -1;
	pthread_mutex_lock(&stf__region_lock);
	for (size_t i = 0; i < stf__nregions; i++) {
		struct stf_slot *s = slot_at(stf__regions[i].slot);
		if (stf__regions[i].kind == STF_SLOT_MMAP && s->addr == at && s->site == site) {
			stf__raw_munmap((void *)(uintptr_t)at, s->size);
			region_del_locked(i);
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&stf__region_lock);
	return r;
}

EXPORT void *stf__mmap_with(size_t size, int prot, uint32_t site, uint64_t id, uint64_t at,
			    uint64_t own)
{
	if (id && id >= atomic_load((_Atomic uint64_t *)&stf__root.next_id))
		stf__alloc_bump_id(id + 1);
	uint64_t rlen = (size + PAGE - 1) & ~(PAGE - 1);
	void *p;
	if (at) {
		int err = stf__claim_pages(at, at + rlen, at + own);
		if (err == EEXIST && replace_startup_mapping(at, site) == 0)
			err = stf__claim_pages(at, at + rlen, at + own);
		if (err || (prot != (PROT_READ | PROT_WRITE) &&
			    mprotect((void *)(uintptr_t)at, rlen, prot) < 0)) {
			if (!err)
				stf__raw_munmap((void *)(uintptr_t)at, rlen);
			errno = err ? err : errno;
			return NULL;
		}
		p = (void *)(uintptr_t)at;
	} else {
		p = stf__raw_mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
	}
	ensure_tables();
	pthread_mutex_lock(&stf__region_lock);
	int r = region_add_locked((uintptr_t)p, rlen, site, id, STF_SLOT_MMAP, 0);
	pthread_mutex_unlock(&stf__region_lock);
	if (r < 0) {
		stf__raw_munmap(p, size);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

uint64_t stf__mapping_id_at(uint64_t addr)
{
	uint64_t id = 0;
	pthread_mutex_lock(&stf__region_lock);
	for (size_t i = 0; i < stf__nregions && !id; i++) {
		const struct stf_slot *s = slot_at(stf__regions[i].slot);
		if (stf__regions[i].kind == STF_SLOT_MMAP && s->addr == addr)
			id = s->id;
	}
	pthread_mutex_unlock(&stf__region_lock);
	return id;
}

EXPORT int munmap(void *addr, size_t len)
{
	int r = stf__raw_munmap(addr, len);
	if (r == 0 && atomic_load(&stf__tables_ready)) {
		pthread_mutex_lock(&stf__region_lock);
		mmap_forget_locked((uintptr_t)addr, (len + PAGE - 1) & ~(PAGE - 1));
		pthread_mutex_unlock(&stf__region_lock);
	}
	return r;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *want = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	void *p = (void *)syscall(SYS_mremap, old, old_len, new_len, flags, want);
	if (p == MAP_FAILED || !atomic_load(&stf__tables_ready))
		return p;
	uint64_t o = (uintptr_t)old;
	uint64_t olen = (old_len + PAGE - 1) & ~(PAGE - 1);
	uint64_t nlen = (new_len + PAGE - 1) & ~(PAGE - 1);
	pthread_mutex_lock(&stf__region_lock);
	bool moved_whole = false;
	for (size_t i = 0; i < stf__nregions; i++) {
		struct stf_slot *s = slot_at(stf__regions[i].slot);
		if (stf__regions[i].kind == STF_SLOT_MMAP && s->addr == o && s->size == olen) {
			/* The common case: the whole mapping moves or resizes,
			 * keeping its ID. */
			if ((uintptr_t)p != o)  /* moved: the target range is replaced */
				mmap_forget_locked((uintptr_t)p, nlen);
			s->addr = (uintptr_t)p;
			s->size = nlen;
			moved_whole = true;
			mark_heap_changed();
			break;
		}
	}
	if (!moved_whole) {
		uint32_t site = 0;
		for (size_t i = 0; i < stf__nregions; i++) {
			struct stf_slot *s = slot_at(stf__regions[i].slot);
			if (stf__regions[i].kind == STF_SLOT_MMAP && o >= s->addr && o < s->addr + s->size)
				site = s->site;
		}
		if (!(flags & MREMAP_DONTUNMAP) || (uintptr_t)p == o)
			mmap_forget_locked(o, olen);
		if (site) {
			mmap_forget_locked((uintptr_t)p, nlen);
			region_add_locked((uintptr_t)p, nlen, site, 0, STF_SLOT_MMAP, 0);
		}
	}
	pthread_mutex_unlock(&stf__region_lock);
	return p;
}

/* ------------------------------------------------------------------ */
/* User-registered objects.                                               */

uint32_t stf__user_site(const char *site_id, const char *type)
{
	if (!site_id || !*site_id || strlen(site_id) >= sizeof stf__sites[0].name ||
	    (type && strlen(type) >= sizeof stf__sites[0].type_name)) {
		errno = EINVAL;
		return 0;
	}
	ensure_tables();
	pthread_mutex_lock(&stf__site_lock);
	uint32_t site = stf__site_find_locked(site_id, stf__str_hash(site_id));
	if (site && stf__sites[site].kind != STF_SITE_USER) {
		pthread_mutex_unlock(&stf__site_lock);
		errno = EEXIST;  /* the ID belongs to a plugin or external site */
		return 0;
	}
	if (!site) {
		struct stf_site_ref ref = { .kind = STF_SITE_USER };
		snprintf(ref.name, sizeof ref.name, "%s", site_id);
		snprintf(ref.type_name, sizeof ref.type_name, "%s", type ? type : "");
		site = stf__site_add_locked(&ref, site_id);
		if (!site)
			errno = ENOMEM;
	}
	pthread_mutex_unlock(&stf__site_lock);
	return site;
}

EXPORT int stf_register_object(void *ptr, size_t size, const char *type, size_t count,
			       const char *site_id)
{
	if (!ptr || !size) {
		errno = EINVAL;
		return -1;
	}
	uint32_t site = stf__user_site(site_id, type);
	if (!site)
		return -1;
	/* the transfer registers the objects it placed as sub-objects */
	if (stf__sub_registered((uintptr_t)ptr)) {
		errno = EEXIST;
		return -1;
	}
	pthread_mutex_lock(&stf__region_lock);
	for (size_t i = 0; i < stf__nregions; i++)
		if (stf__regions[i].kind == STF_SLOT_USER && slot_at(stf__regions[i].slot)->addr == (uintptr_t)ptr) {
			pthread_mutex_unlock(&stf__region_lock);
			errno = EEXIST;
			return -1;
		}
	int r = region_add_locked((uintptr_t)ptr, size, site, 0, STF_SLOT_USER, count);
	pthread_mutex_unlock(&stf__region_lock);
	if (r < 0)
		errno = ENOMEM;
	return r;
}

EXPORT int stf_unregister_object(void *ptr)
{
	if (!atomic_load(&stf__tables_ready)) {
		errno = ENOENT;
		return -1;
	}
	pthread_mutex_lock(&stf__region_lock);
	for (size_t i = 0; i < stf__nregions; i++)
		if (stf__regions[i].kind == STF_SLOT_USER && slot_at(stf__regions[i].slot)->addr == (uintptr_t)ptr) {
			region_del_locked(i);
			pthread_mutex_unlock(&stf__region_lock);
			return 0;
		}
	pthread_mutex_unlock(&stf__region_lock);
	if (stf__sub_unregister((uintptr_t)ptr) == 0)
		return 0;
	errno = ENOENT;
	return -1;
}
