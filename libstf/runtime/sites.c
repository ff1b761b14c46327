/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sites.c - allocation sites (see alloc.h): the site table (plugin sites
 * numbered from the executable's metadata, external sites interned as
 * library + offset), their descriptions, and the executable's metadata
 * units found in /proc/self/exe.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "heap.h"
#include "index.h"
#include "respawn.h"
#include "stf-format.h"
#include "stf.h"
#include "units.h"

/* ------------------------------------------------------------------ */
/* Sites.                                                                */

uint64_t stf__str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* The plugin record of a plugin site, NULL if the unit is damaged. */
const struct stf_site_rec *stf__plugin_site(const struct stf_site_ref *r,
					      const char **strtab, uint32_t *strsize,
					      const struct stf_blob_hdr **blobp)
{
	const struct stf_unit *u = (const struct stf_unit *)(uintptr_t)r->unit;
	const struct stf_blob_hdr *b = stf__unit_blob(u);
	if (r->index >= b->sites.count)
		return NULL;
	*strtab = (const char *)b + b->strtab.off;
	*strsize = b->strtab.count;
	if (blobp)
		*blobp = b;
	return (const struct stf_site_rec *)((const char *)b + b->sites.off) + r->index;
}

const char *stf__blob_str(const char *strtab, uint32_t size, uint32_t off)
{
	return off < size ? strtab + off : "";
}

EXPORT void stf__site_describe(uint32_t site, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = 0;
	if (!atomic_load(&stf__tables_ready) || site == 0 ||
	    site >= atomic_load_explicit((_Atomic uint64_t *)&stf__root.nsites, memory_order_acquire))
		return;
	const struct stf_site_ref *r = &stf__sites[site];
	switch (r->kind) {
	case STF_SITE_PLUGIN: {
		/* the ID as stored: no inflating */
		const struct stf_blob_hdr *b = stf_unit_blob((const struct stf_unit *)(uintptr_t)r->unit);
		const uint32_t *ids = (const uint32_t *)((const char *)b + b->site_ids.off);
		snprintf(buf, len, "%s", r->index < b->site_ids.count ?
			 stf__blob_str((const char *)b + b->strtab.off, b->stored - b->strtab.off,
				       ids[r->index]) : "");
		break;
	}
	case STF_SITE_EXTERNAL:
		snprintf(buf, len, "%s+0x%llx", r->name, (unsigned long long)r->offset);
		break;
	case STF_SITE_USER:
		snprintf(buf, len, "%s", r->name);
		break;
	}
}

/* Under stf__site_lock: the site with ID string `id` (hash h), 0 if none. */
uint32_t stf__site_find_locked(const char *id, uint64_t h)
{
	char buf[256];
	for (uint32_t i = (uint32_t)h & (SITE_HASH_CAP - 1);; i = (i + 1) & (SITE_HASH_CAP - 1)) {
		uint32_t s = stf__site_by_hash[i];
		if (!s)
			return 0;
		if (stf__site_hashes[s] != h)
			continue;
		stf__site_describe(s, buf, sizeof buf);
		if (!strcmp(buf, id))
			return s;
	}
}

/* Under stf__site_lock: append a site (filled in *ref) known as `id`. */
uint32_t stf__site_add_locked(const struct stf_site_ref *ref, const char *id)
{
	uint64_t n = stf__root.nsites;
	if (n >= MAX_SITES || n >= SITE_HASH_CAP / 2) {
		static bool warned;
		if (!warned)
			stf__warn("site table full; further stf__sites are recorded as unknown");
		warned = true;
		return 0;
	}
	stf__sites[n] = *ref;
	uint64_t h = stf__str_hash(id);
	stf__site_hashes[n] = h;
	uint32_t i = (uint32_t)h & (SITE_HASH_CAP - 1);
	while (stf__site_by_hash[i])
		i = (i + 1) & (SITE_HASH_CAP - 1);
	stf__site_by_hash[i] = (uint32_t)n;
	atomic_store_explicit((_Atomic uint64_t *)&stf__root.nsites, n + 1, memory_order_release);
	return (uint32_t)n;
}

uint32_t stf__external_site_locked(const char *lib, uint64_t offset)
{
	struct stf_site_ref ref = { .kind = STF_SITE_EXTERNAL, .offset = offset };
	snprintf(ref.name, sizeof ref.name, "%s", lib);
	char id[160];
	snprintf(id, sizeof id, "%s+0x%llx", ref.name, (unsigned long long)offset);
	uint32_t s = stf__site_find_locked(id, stf__str_hash(id));
	return s ? s : stf__site_add_locked(&ref, id);
}

EXPORT uint32_t stf__site_by_id(const char *id)
{
	if (!id || !*id)
		return 0;
	ensure_tables();
	pthread_mutex_lock(&stf__site_lock);
	uint32_t s = stf__site_find_locked(id, stf__str_hash(id));
	if (!s) {
		/* "<library>+0x<offset>": an external site, made on demand so
		 * that this process's own allocations from there match. */
		const char *plus = strrchr(id, '+');
		if (plus && plus != id && plus[1] == '0' && plus[2] == 'x' && plus[3] &&
		    (size_t)(plus - id) < sizeof stf__sites[0].name && !strchr(id, ':')) {
			char *end;
			unsigned long long off = strtoull(plus + 3, &end, 16);
			if (!*end) {
				char lib[sizeof stf__sites[0].name];
				memcpy(lib, id, (size_t)(plus - id));
				lib[plus - id] = 0;
				s = stf__external_site_locked(lib, off);
			}
		}
	}
	pthread_mutex_unlock(&stf__site_lock);
	return s;
}

/* ------------------------------------------------------------------ */
/* The executable's plugin metadata.                                     */

/* Find the stf_units section of /proc/self/exe: [*start, *end) in memory. */
static int find_units_section(uint64_t *start, uint64_t *end)
{
	int fd = (int)syscall(SYS_open, "/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ret = -1;
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_shstrndx >= eh.e_shnum)
		goto out;
	Elf64_Shdr strsh;
	if (pread(fd, &strsh, sizeof strsh, (off_t)(eh.e_shoff + eh.e_shstrndx * sizeof strsh)) !=
	    sizeof strsh)
		goto out;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		char name[sizeof STF_UNITS_SECTION];
		if (pread(fd, &sh, sizeof sh, (off_t)(eh.e_shoff + i * sizeof sh)) != sizeof sh)
			goto out;
		if (sh.sh_name + sizeof name > strsh.sh_size ||
		    pread(fd, name, sizeof name, (off_t)(strsh.sh_offset + sh.sh_name)) != sizeof name ||
		    memcmp(name, STF_UNITS_SECTION, sizeof name))
			continue;
		if (!(sh.sh_flags & SHF_ALLOC))
			goto out;
		/* Load bias from the program headers the kernel mapped. */
		const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
		unsigned long phnum = getauxval(AT_PHNUM);
		uint64_t bias = 0;
		bool have_bias = false;
		for (unsigned long k = 0; ph && k < phnum && !have_bias; k++)
			if (ph[k].p_type == PT_PHDR) {
				bias = (uintptr_t)ph - ph[k].p_vaddr;
				have_bias = true;
			}
		for (unsigned long k = 0; ph && k < phnum && !have_bias; k++)
			if (ph[k].p_type == PT_LOAD && ph[k].p_offset == 0) {
				bias = (uintptr_t)ph - eh.e_phoff - ph[k].p_vaddr;
				have_bias = true;
			}
		if (!have_bias)
			goto out;
		*start = sh.sh_addr + bias;
		*end = sh.sh_addr + bias + sh.sh_size;
		ret = 0;
		break;
	}
out:
	close(fd);
	return ret;
}

static bool blob_table_ok(const struct stf_blob_hdr *b, const struct stf_table *t, size_t rec)
{
	return t->off <= b->size && (uint64_t)t->count * rec <= b->size - t->off;
}

/* Give every plugin site of the executable a global number. */
void stf__number_plugin_sites(void)
{
	uint64_t start, end;
	if (find_units_section(&start, &end) < 0)
		return;  /* not instrumented */
	size_t cap = 0;
	for (uint64_t p = start; p + sizeof(struct stf_unit) <= end;) {
		const struct stf_unit *u = (const struct stf_unit *)(uintptr_t)p;
		if (u->magic == 0) {  /* alignment padding */
			p += 8;
			continue;
		}
		if (u->magic != STF_UNIT_MAGIC || u->version != STF_FORMAT_VERSION ||
		    p + stf_unit_size(u->nobjects) > end) {
			stf__warn("stf_units section of the executable is damaged or of another format version; "
			     "stf__sites after it stay unknown (rebuild with the matching stf.so plugin)");
			break;
		}
		const struct stf_blob_hdr *b = stf_unit_blob(u);
		if (b->magic != STF_BLOB_MAGIC || b->version != STF_FORMAT_VERSION ||
		    !blob_table_ok(b, &b->sites, sizeof(struct stf_site_rec)) ||
		    !blob_table_ok(b, &b->site_ids, sizeof(uint32_t)) ||
		    b->site_ids.off + (uint64_t)b->site_ids.count * sizeof(uint32_t) > b->stored ||
		    b->strtab.off > b->stored ||
		    !blob_table_ok(b, &b->objects, sizeof(struct stf_object_rec)) ||
		    !blob_table_ok(b, &b->types, sizeof(struct stf_type_rec)) ||
		    !blob_table_ok(b, &b->strtab, 1)) {
			stf__warn("a metadata blob of the executable is damaged; its stf__sites stay unknown");
			p += stf_unit_size(u->nobjects);
			continue;
		}
		if (stf__exe_nunits == cap) {
			cap = cap ? 2 * cap : 16;
			const struct stf_unit **nu = __libc_realloc(stf__exe_units, cap * sizeof *stf__exe_units);
			if (!nu)
				break;
			stf__exe_units = nu;
		}
		stf__exe_units[stf__exe_nunits++] = u;
		/* the sites' IDs as stored, in place: nothing is inflated */
		const uint32_t *ids = (const void *)((const char *)b + b->site_ids.off);
		const char *strtab = (const char *)b + b->strtab.off;
		uint32_t *cells = stf_unit_site_ids(u);
		pthread_mutex_lock(&stf__site_lock);
		for (uint32_t i = 0; i < b->site_ids.count; i++) {
			struct stf_site_ref ref = { .kind = STF_SITE_PLUGIN, .index = i, .unit = p };
			cells[i] = stf__site_add_locked(&ref, stf__blob_str(strtab, b->stored - b->strtab.off, ids[i]));
		}
		pthread_mutex_unlock(&stf__site_lock);
		p += stf_unit_size(u->nobjects);
	}
	stf__root.units_start = start;
	stf__root.units_end = end;
}
