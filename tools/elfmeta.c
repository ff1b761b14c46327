/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * elfmeta.c - the plugin metadata of an ELF file on disk (see elfmeta.h).
 *
 * The read callback works on the raw file image, mapped by libelf, through
 * a table of regions (allocated sections, else PT_LOAD segments), each
 * checked against the file size once: corrupted headers then make reads
 * fail with EFAULT instead of reading outside the image.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfmeta.h"

struct region {
	uint64_t addr, size;
	const unsigned char *data; /* NULL: zero-filled (SHT_NOBITS, bss) */
	uint64_t data_size;        /* bytes of data; the rest reads as zero */
};

struct elfmeta {
	int fd;
	Elf *elf;
	bool dyn;
	const unsigned char *image;
	size_t image_size;
	struct region *regions;
	size_t nregions;
	unsigned char *units;      /* stf_units contents, relocations applied */
	uint64_t units_addr, units_size;
	struct stf_meta *meta;
};

static int error(char *err, size_t errlen, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int error(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", path, msg);
	return -1;
}

int elfmeta_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct elfmeta *em = ctx;
	unsigned char *out = buf;

	while (len) {
		const struct region *r = NULL;
		uint64_t off, n;

		for (size_t i = 0; i < em->nregions; i++)
			if (addr >= em->regions[i].addr &&
			    addr - em->regions[i].addr < em->regions[i].size) {
				r = &em->regions[i];
				break;
			}
		if (!r) {
			errno = EFAULT;
			return -1;
		}
		off = addr - r->addr;
		n = r->size - off < len ? r->size - off : len;
		if (r->data && off < r->data_size) {
			uint64_t k = r->data_size - off < n ? r->data_size - off : n;
			memcpy(out, r->data + off, k);
			memset(out + k, 0, n - k);
		} else {
			memset(out, 0, n);
		}
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

static bool add_region(struct elfmeta *em, uint64_t addr, uint64_t size,
		       const unsigned char *data, uint64_t data_size)
{
	void *n = realloc(em->regions, (em->nregions + 1) * sizeof *em->regions);

	if (!n)
		return false;
	em->regions = n;
	em->regions[em->nregions++] = (struct region){ addr, size, data, data_size };
	return true;
}

/* Bytes [off, off + size) of the file, or NULL if they are not all in it. */
static const unsigned char *file_bytes(const struct elfmeta *em, uint64_t off,
				       uint64_t size)
{
	if (off > em->image_size || size > em->image_size - off)
		return NULL;
	return em->image + off;
}

/* Apply the dynamic relocations the loader would apply to stf_units. */
static int relocate_units(struct elfmeta *em, const char *path, char *err,
			  size_t errlen)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(em->elf, scn))) {
		GElf_Shdr sh, symsh;
		Elf_Data *rela, *syms = NULL;
		Elf_Scn *symscn;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    !(sh.sh_flags & SHF_ALLOC) || !sh.sh_entsize)
			continue;
		rela = elf_getdata(scn, NULL);
		if (!rela)
			return error(err, errlen, path, "unreadable relocation section %zu: %s",
				     elf_ndxscn(scn), elf_errmsg(-1));
		symscn = elf_getscn(em->elf, sh.sh_link);
		if (symscn && gelf_getshdr(symscn, &symsh) &&
		    (symsh.sh_type == SHT_DYNSYM || symsh.sh_type == SHT_SYMTAB))
			syms = elf_getdata(symscn, NULL);
		n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			uint64_t value;

			if (!gelf_getrela(rela, (int)i, &r))
				break;
			if (r.r_offset < em->units_addr || r.r_offset % 8 ||
			    r.r_offset - em->units_addr > em->units_size - 8)
				continue;
			switch (GELF_R_TYPE(r.r_info)) {
			case R_X86_64_RELATIVE:
				value = (uint64_t)r.r_addend;
				break;
			case R_X86_64_64:
				if (!syms || !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym) ||
				    sym.st_shndx == SHN_UNDEF)
					continue; /* resolved only at run time */
				value = sym.st_value + (uint64_t)r.r_addend;
				break;
			default:
				continue;
			}
			memcpy(em->units + (r.r_offset - em->units_addr), &value, 8);
		}
	}
	return 0;
}

static int map_file(struct elfmeta *em, const char *path, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	size_t nphdr;

	while ((scn = elf_nextscn(em->elf, scn))) {
		GElf_Shdr sh;
		const unsigned char *data = NULL;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || !sh.sh_size)
			continue;
		if (sh.sh_type != SHT_NOBITS) {
			data = file_bytes(em, sh.sh_offset, sh.sh_size);
			if (!data)
				continue; /* truncated file: reads there fail */
		}
		if (!add_region(em, sh.sh_addr, sh.sh_size, data, data ? sh.sh_size : 0))
			return error(err, errlen, path, "out of memory");
	}
	/* Section headers may be stripped: fall back to the segments. */
	if (elf_getphdrnum(em->elf, &nphdr) == 0) {
		for (size_t i = 0; i < nphdr; i++) {
			GElf_Phdr ph;
			const unsigned char *data;

			if (!gelf_getphdr(em->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			data = file_bytes(em, ph.p_offset, ph.p_filesz);
			if (!add_region(em, ph.p_vaddr, ph.p_memsz, data,
					data ? ph.p_filesz : 0))
				return error(err, errlen, path, "out of memory");
		}
	}
	return 0;
}

static const char no_section_fmt[] =
	"no ttst metadata (section " STF_UNITS_SECTION " missing): was it built with -fplugin=stf.so?";

struct elfmeta *elfmeta_open(const char *path, enum elfmeta_status *status,
			     char *err, size_t errlen)
{
	struct elfmeta *em = calloc(1, sizeof *em);
	char lerr[512];
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL, *units = NULL;
	GElf_Shdr ush;
	size_t shstrndx;

	*status = ELFMETA_ERROR;
	if (!em) {
		error(err, errlen, path, "out of memory");
		return NULL;
	}
	em->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (em->fd < 0) {
		error(err, errlen, path, "cannot open: %s", strerror(errno));
		goto fail;
	}
	elf_version(EV_CURRENT);
	em->elf = elf_begin(em->fd, ELF_C_READ_MMAP, NULL);
	if (!em->elf || elf_kind(em->elf) != ELF_K_ELF) {
		error(err, errlen, path, "not an ELF file");
		goto fail;
	}
	if (!gelf_getehdr(em->elf, &eh) || gelf_getclass(em->elf) != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64) {
		error(err, errlen, path, "not an x86-64 ELF file (ttst supports x86-64 only)");
		goto fail;
	}
	if (eh.e_type == ET_REL) {
		error(err, errlen, path,
		      "relocatable object file: link it first (stf-meta reads executables and shared objects)");
		goto fail;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		error(err, errlen, path, "not an executable or shared object (ELF type %u)",
		      eh.e_type);
		goto fail;
	}
	em->dyn = eh.e_type == ET_DYN;
	em->image = (const unsigned char *)elf_rawfile(em->elf, &em->image_size);
	if (!em->image || elf_getshdrstrndx(em->elf, &shstrndx)) {
		error(err, errlen, path, "unreadable ELF headers: %s", elf_errmsg(-1));
		goto fail;
	}
	while ((scn = elf_nextscn(em->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(em->elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, STF_UNITS_SECTION)) {
			units = scn;
			ush = sh;
			break;
		}
	}
	if (!units) {
		*status = ELFMETA_NO_SECTION;
		error(err, errlen, path, no_section_fmt);
		goto fail;
	}
	if (ush.sh_type == SHT_NOBITS ||
	    !file_bytes(em, ush.sh_offset, ush.sh_size)) {
		error(err, errlen, path,
		      "section %s is truncated or has no contents (offset %llu, %llu bytes, file has %zu bytes)",
		      STF_UNITS_SECTION, (unsigned long long)ush.sh_offset,
		      (unsigned long long)ush.sh_size, em->image_size);
		goto fail;
	}
	em->units_addr = ush.sh_addr;
	em->units_size = ush.sh_size;
	em->units = malloc(ush.sh_size ? ush.sh_size : 1);
	if (!em->units) {
		error(err, errlen, path, "out of memory");
		goto fail;
	}
	memcpy(em->units, em->image + ush.sh_offset, ush.sh_size);
	/* The relocated copy comes first so that reads of stf_units see it. */
	if (!add_region(em, em->units_addr, em->units_size, em->units, em->units_size)) {
		error(err, errlen, path, "out of memory");
		goto fail;
	}
	if (map_file(em, path, err, errlen) || relocate_units(em, path, err, errlen))
		goto fail;
	em->meta = stf_meta_load(elfmeta_read, em, em->units_addr,
				 em->units_addr + em->units_size, lerr, sizeof lerr);
	if (!em->meta) {
		error(err, errlen, path, "corrupted ttst metadata: %s", lerr);
		goto fail;
	}
	*status = ELFMETA_OK;
	return em;
fail:
	elfmeta_close(em);
	return NULL;
}

void elfmeta_close(struct elfmeta *em)
{
	if (!em)
		return;
	stf_meta_free(em->meta);
	free(em->units);
	free(em->regions);
	if (em->elf)
		elf_end(em->elf);
	if (em->fd >= 0)
		close(em->fd);
	free(em);
}

const struct stf_meta *elfmeta_meta(const struct elfmeta *em)
{
	return em->meta;
}

int elfmeta_fd(const struct elfmeta *em)
{
	return em->fd;
}

int elfmeta_is_dyn(const struct elfmeta *em)
{
	return em->dyn;
}

bool elfmeta_has_function(const struct elfmeta *em, const char *name, uint64_t addr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(em->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *sn;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value != addr ||
			    !(sn = elf_strptr(em->elf, sh.sh_link, sym.st_name)))
				continue;
			if (!strcmp(sn, name))
				return true;
		}
	}
	return false;
}
