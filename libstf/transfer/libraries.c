/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libraries.c - a peer's images and shared libraries (see remote.h): its
 * mappings from /proc/PID/maps, the ELF symbols that name addresses in
 * library data, so pointers into a library are relocated by symbol, and
 * the writable data of the program's libraries, which the transfer carries
 * like an untyped block (stf__add_lib_data).
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "remote.h"

/* ------------------------------------------------------------------ */
/* Shared libraries and ELF symbols.                                   */

struct elf_file {
	const char *path;
	const uint8_t *map;
	size_t size;
	uint64_t first_vaddr; /* page-aligned vaddr of the first PT_LOAD */
	uint64_t data_start, data_end; /* writable data after RELRO (vaddrs) */
	/* the sorted table of where its functions begin (.eh_frame_hdr's,
	 * offsets from entries_base), NULL when the file has none we read */
	const uint8_t *entries;
	uint64_t entries_base;
	size_t nentries;
	int runtime;          /* defines the C/C++ runtime's symbol versions */
	const Elf64_Sym *syms[2];
	const char *strs[2];
	size_t nsyms[2], strsize[2];
	struct elf_file *next;
};

static struct elf_file *elf_files; /* cache for the life of the process */

/* The end of the PLT's part of the GOT (.got.plt: three words of the
 * dynamic linker's, then one per PLT relocation) when start lies in it
 * (RELRO ends past its first three words), else start. */
static uint64_t after_plt_got(const struct elf_file *e, const Elf64_Phdr *ph, int n,
			      uint64_t start)
{
	uint64_t pltgot = 0, pltrelsz = 0;
	for (int i = 0; i < n; i++) {
		if (ph[i].p_type != PT_DYNAMIC || ph[i].p_offset + ph[i].p_filesz > e->size)
			continue;
		const Elf64_Dyn *d = (const Elf64_Dyn *)(e->map + ph[i].p_offset);
		for (size_t k = 0; k < ph[i].p_filesz / sizeof(*d) && d[k].d_tag != DT_NULL; k++) {
			if (d[k].d_tag == DT_PLTGOT)
				pltgot = d[k].d_un.d_ptr;
			else if (d[k].d_tag == DT_PLTRELSZ)
				pltrelsz = d[k].d_un.d_val;
		}
	}
	uint64_t end = pltgot + 8 * (3 + pltrelsz / sizeof(Elf64_Rela));
	return pltgot && pltgot <= start && start < end ? end : start;
}

/* The writable data a library keeps its state in: its writable PT_LOAD
 * segment (.data, .bss) after the part made read-only once relocated
 * (PT_GNU_RELRO: .data.rel.ro, the GOT) and the GOT's lazily bound
 * entries: the dynamic linker's, right in each process as it is (an
 * entry resolved to the vDSO, gettimeofday's in libapr's, holds an
 * address the new process does not map: httpd's first request after an
 * update died calling it). */
static void elf_data_range(struct elf_file *e, const Elf64_Phdr *ph, int n)
{
	uint64_t relro_end = 0;
	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_GNU_RELRO)
			relro_end = ph[i].p_vaddr + ph[i].p_memsz;
	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W)) {
			uint64_t start = ph[i].p_vaddr, end = ph[i].p_vaddr + ph[i].p_memsz;
			if (relro_end > start && relro_end <= end)
				start = relro_end;
			start = after_plt_got(e, ph, n, start);
			e->data_start = start < end ? start : end;
			e->data_end = end;
			return;
		}
}

/* The binary search table of .eh_frame_hdr, in the form GNU ld and gold
 * write it: version 1, a 4-byte pointer to .eh_frame, a 4-byte count,
 * then (start, FDE) pairs of 4-byte signed offsets from the header,
 * sorted by start.  Every function of a Debian library has its entry
 * (GCC's unwind tables, glibc's assembly CFI). */
#define EH_PE_UDATA4  0x03u
#define EH_PE_SDATA4  0x0bu
#define EH_PE_DATAREL 0x30u
static void elf_entry_table(struct elf_file *e, const Elf64_Phdr *ph, int n)
{
	for (int i = 0; i < n; i++) {
		if (ph[i].p_type != PT_GNU_EH_FRAME || ph[i].p_filesz < 12 ||
		    ph[i].p_offset + ph[i].p_filesz > e->size)
			continue;
		const uint8_t *h = e->map + ph[i].p_offset;
		uint32_t count;
		memcpy(&count, h + 8, sizeof(count));
		if (h[0] != 1 || ((h[1] & 0x0fu) != EH_PE_UDATA4 && (h[1] & 0x0fu) != EH_PE_SDATA4) ||
		    h[2] != EH_PE_UDATA4 || h[3] != (EH_PE_DATAREL | EH_PE_SDATA4) ||
		    12 + (uint64_t)count * 8 > ph[i].p_filesz)
			return;
		e->entries = h + 12;
		e->nentries = count;
		e->entries_base = ph[i].p_vaddr;
		return;
	}
}

/* Does vaddr lie in e's code (an executable PT_LOAD) where none of its
 * functions begins?  0 also when e has no table to tell. */
static int elf_inside_code(const struct elf_file *e, uint64_t vaddr)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->map;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->map + eh->e_phoff);
	int code = 0;

	if (!e->entries)
		return 0;
	for (int i = 0; i < eh->e_phnum && !code; i++)
		code = ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) &&
		       vaddr - ph[i].p_vaddr < ph[i].p_memsz;
	if (!code)
		return 0;
	size_t lo = 0, hi = e->nentries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int32_t at;
		memcpy(&at, e->entries + mid * 8, sizeof(at));
		uint64_t start = e->entries_base + (uint64_t)(int64_t)at;
		if (start == vaddr)
			return 0;
		if (start < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1;
}

/* Does the library define a symbol version of the C or C++ runtime
 * (GLIBC_*: libc, the dynamic linker, libm...; GCC_*: libgcc_s;
 * GLIBCXX_*, CXXABI_*: libstdc++)?  Their state is the process's, which
 * libstf handles itself (streams, environment, signals, threads). */
static int defines_runtime_versions(const struct elf_file *e, const Elf64_Shdr *vd,
				    const Elf64_Shdr *strs)
{
	static const char *const prefixes[] = { "GLIBC_", "GCC_", "GLIBCXX_", "CXXABI_" };
	uint64_t off = vd->sh_offset;

	if (vd->sh_offset + vd->sh_size > e->size || strs->sh_offset + strs->sh_size > e->size)
		return 0;
	for (uint64_t n = 0; n < vd->sh_info && off + sizeof(Elf64_Verdef) <= vd->sh_offset + vd->sh_size; n++) {
		const Elf64_Verdef *d = (const Elf64_Verdef *)(e->map + off);
		uint64_t aux = off + d->vd_aux;
		if (d->vd_cnt && aux + sizeof(Elf64_Verdaux) <= vd->sh_offset + vd->sh_size) {
			const Elf64_Verdaux *a = (const Elf64_Verdaux *)(e->map + aux);
			const char *name = a->vda_name < strs->sh_size ?
				(const char *)e->map + strs->sh_offset + a->vda_name : "";
			for (size_t k = 0; k < sizeof(prefixes) / sizeof(*prefixes); k++)
				if (!strncmp(name, prefixes[k], strlen(prefixes[k])) &&
				    memchr(name, 0, strs->sh_size - a->vda_name))
					return 1;
		}
		if (!d->vd_next)
			break;
		off += d->vd_next;
	}
	return 0;
}

static struct elf_file *elf_open(const char *path)
{
	struct elf_file *e;
	struct stat st;
	int fd;

	for (e = elf_files; e; e = e->next)
		if (!strcmp(e->path, path))
			return e->map ? e : NULL;
	e = stf__raw_malloc(sizeof(*e) + strlen(path) + 1);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	strcpy((char *)(e + 1), path);
	e->path = (const char *)(e + 1);
	e->next = elf_files;
	elf_files = e;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return NULL;
	}
	void *m = stf__raw_mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED || !m)
		return NULL;
	const Elf64_Ehdr *eh = m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > (uint64_t)st.st_size ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > (uint64_t)st.st_size) {
		stf__raw_munmap(m, st.st_size);
		return NULL;
	}
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const uint8_t *)m + eh->e_phoff);
	int dynamic = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		dynamic |= ph[i].p_type == PT_DYNAMIC;
	/* A file with no dynamic segment is no object the dynamic linker
	 * loaded (the program links libstf.so: it is dynamic itself), so
	 * nothing of the program: valgrind's tool is mapped so into the
	 * program it runs, its data where valgrind keeps its own state. */
	if (!dynamic) {
		stf__raw_munmap(m, st.st_size);
		return NULL;
	}
	e->map = m;
	e->size = st.st_size;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			e->first_vaddr = ph[i].p_vaddr - ph[i].p_offset;
			break;
		}
	elf_data_range(e, ph, eh->e_phnum);
	elf_entry_table(e, ph, eh->e_phnum);
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(e->map + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_GNU_verdef && sh[i].sh_link < eh->e_shnum)
			e->runtime = defines_runtime_versions(e, &sh[i], &sh[sh[i].sh_link]);
		int k = sh[i].sh_type == SHT_SYMTAB ? 0 : sh[i].sh_type == SHT_DYNSYM ? 1 : -1;
		if (k < 0 || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *ss = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > e->size ||
		    ss->sh_offset + ss->sh_size > e->size)
			continue;
		e->syms[k] = (const Elf64_Sym *)(e->map + sh[i].sh_offset);
		e->nsyms[k] = sh[i].sh_size / sizeof(Elf64_Sym);
		e->strs[k] = (const char *)(e->map + ss->sh_offset);
		e->strsize[k] = ss->sh_size;
	}
	return e;
}

void stf__peer_forget_files(void)
{
	while (elf_files) {
		struct elf_file *e = elf_files;
		elf_files = e->next;
		if (e->map)
			stf__raw_munmap((void *)e->map, e->size);
		stf__raw_free(e);
	}
}

static const char *elf_sym_name(const struct elf_file *e, int k, const Elf64_Sym *s)
{
	if (s->st_name >= e->strsize[k])
		return "";
	return e->strs[k] + s->st_name;
}

/* Symbol containing vaddr (link-time address). */
static const char *elf_find_addr(const struct elf_file *e, uint64_t vaddr, uint64_t *off)
{
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < e->nsyms[k]; i++) {
			const Elf64_Sym *s = &e->syms[k][i];
			int t = ELF64_ST_TYPE(s->st_info);
			if ((t != STT_OBJECT && t != STT_FUNC && t != STT_TLS &&
			     t != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF)
				continue;
			if (vaddr >= s->st_value &&
			    (vaddr - s->st_value < s->st_size ||
			     (vaddr == s->st_value))) {
				const char *n = elf_sym_name(e, k, s);
				if (!*n)
					continue;
				*off = vaddr - s->st_value;
				return n;
			}
		}
	return NULL;
}

static int elf_find_name(const struct elf_file *e, const char *name, uint64_t *vaddr)
{
	for (int k = 1; k >= 0; k--)
		for (size_t i = 0; i < e->nsyms[k]; i++) {
			const Elf64_Sym *s = &e->syms[k][i];
			if (s->st_shndx == SHN_UNDEF)
				continue;
			if (!strcmp(elf_sym_name(e, k, s), name)) {
				*vaddr = s->st_value;
				return 0;
			}
		}
	return -1;
}

int stf__load_maps(struct stf_peer *p)
{
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		if (cap - len < 4096) {
			char *n = stf__raw_realloc(buf, cap = cap ? 2 * cap : 65536);
			if (!n) {
				close(fd);
				stf__raw_free(buf);
				return -1;
			}
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += r;
	}
	close(fd);
	if (!buf)
		return -1;
	buf[len] = 0;
	size_t nlines = 0;
	for (size_t i = 0; i < len; i++)
		nlines += buf[i] == '\n';
	p->libs = stf__arena_alloc(p->arena, (nlines + 1) * sizeof(*p->libs));
	p->data_files = stf__arena_alloc(p->arena, (nlines + 1) * sizeof(*p->data_files));
	p->data_ranges = stf__arena_alloc(p->arena, (nlines + 1) * sizeof(*p->data_ranges));
	if (!p->libs || !p->data_files || !p->data_ranges) {
		stf__raw_free(buf);
		return -1;
	}
	/* anonymous mappings right after a file mapping: .bss tails */
	struct stf_range *anon = stf__arena_alloc(p->arena, (nlines + 1) * sizeof(*anon));
	size_t nanon = 0;
	uint64_t prev_file_end = 0;
	if (!anon) {
		stf__raw_free(buf);
		return -1;
	}
	/* first pass: record mappings; the bias comes from the offset-0 one */
	for (char *line = buf, *nl; *line; line = nl + 1) {
		unsigned long start, end, off, dmaj, dmin, ino;
		char perms[8];
		int pos = 0;
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %lx:%lx %lu %n", &start, &end, perms, &off,
			   &dmaj, &dmin, &ino, &pos) < 7 || !pos)
			continue;
		if (!strcmp(line + pos, "[stack]")) {
			p->stack_start = start;
			p->stack_end = end;
		}
		if (!line[pos] && start == prev_file_end) {
			anon[nanon].start = start;
			anon[nanon].size = end - start;
			nanon++;
		}
		prev_file_end = line[pos] == '/' ? end : 0;
		if (line[pos] != '/')
			continue;
		if (p->self) {
			/* our own read-only copies of ELF files (elf_open) */
			int mine = 0;
			for (struct elf_file *e = elf_files; e && !mine; e = e->next)
				mine = (uint64_t)(uintptr_t)e->map == start;
			if (mine)
				continue;
		}
		struct stf_peer_lib *l = &p->libs[p->nlibs++];
		l->start = start;
		l->end = end;
		l->path = stf__arena_strdup(p->arena, line + pos);
		l->dev = dmaj << 20 | dmin;
		l->ino = ino;
		l->bias = off ? 0 : start; /* offset 0: the library's base */
	}
	stf__raw_free(buf);
	/* segments may sit at a different distance from their file offset
	 * (data after a gap): every mapping takes the bias of the base */
	uint64_t *base = stf__raw_malloc((p->nlibs + 1) * sizeof(*base));
	if (!base)
		return -1;
	for (size_t i = 0; i < p->nlibs; i++) {
		base[i] = 0;
		for (size_t k = 0; k < p->nlibs; k++)
			if (p->libs[k].bias && !strcmp(p->libs[k].path, p->libs[i].path)) {
				base[i] = p->libs[k].bias;
				break;
			}
	}
	for (size_t i = 0; i < p->nlibs; i++) {
		struct elf_file *e = base[i] ? elf_open(p->libs[i].path) : NULL;
		p->libs[i].bias = e ? base[i] - e->first_vaddr : 0;
		if (!e) {
			/* no base or not ELF: no image, but data the program's
			 * libraries may point into */
			p->data_ranges[p->ndata_files] = (struct stf_range){
				p->libs[i].start, p->libs[i].end - p->libs[i].start, p->ndata_files };
			p->data_files[p->ndata_files++] = p->libs[i];
			p->libs[i].path = "";
		}
	}
	stf__raw_free(base);
	/* drop what has no base (deleted files and the like) */
	size_t n = 0;
	for (size_t i = 0; i < p->nlibs; i++)
		if (*p->libs[i].path)
			p->libs[n++] = p->libs[i];
	p->nlibs = n;
	/* the image: /proc/PID/maps is in address order, so are both lists */
	p->image = stf__arena_alloc(p->arena, (p->nlibs + nanon + 1) * sizeof(*p->image));
	if (!p->image)
		return -1;
	size_t a = 0;
	for (size_t i = 0; i < p->nlibs; i++) {
		for (; a < nanon && anon[a].start < p->libs[i].start; a++)
			;
		p->image[p->nimage].start = p->libs[i].start;
		p->image[p->nimage].size = p->libs[i].end - p->libs[i].start;
		p->image[p->nimage++].value = i;
		if (a < nanon && anon[a].start == p->libs[i].end) {
			p->image[p->nimage] = anon[a++];
			p->image[p->nimage++].value = i;
		}
	}
	return 0;
}

/* The range of the n sorted, disjoint ranges r holding addr, NULL if
 * none. */
static const struct stf_range *range_holding(const struct stf_range *r, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < r[mid].start)
			hi = mid;
		else if (addr - r[mid].start >= r[mid].size)
			lo = mid + 1;
		else
			return &r[mid];
	}
	return NULL;
}

const struct stf_range *stf__peer_image_find(const struct stf_peer *p, uint64_t addr)
{
	return range_holding(p->image, p->nimage, addr);
}

const struct stf_peer_lib *stf__peer_data_file(const struct stf_peer *p, uint64_t addr)
{
	const struct stf_range *r = range_holding(p->data_ranges, p->ndata_files, addr);
	return r ? &p->data_files[r->value] : NULL;
}

int stf__peer_maps_file(const struct stf_peer *p, const struct stf_peer_lib *f)
{
	const struct stf_peer_lib *m = stf__peer_data_file(p, f->start);
	return m && m->start == f->start && m->dev == f->dev && m->ino == f->ino;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int stf__peer_lib_symbol(struct stf_peer *p, uint64_t addr, const char **lib,
			 const char **sym, uint64_t *off)
{
	for (size_t i = 0; i < p->nlibs; i++) {
		const struct stf_peer_lib *l = &p->libs[i];
		if (addr < l->start || addr >= l->end) {
			/* the anonymous .bss tail after the library's last file
			 * mapping (gmtime's struct tm, ...) is the library's too */
			const struct stf_range *r;
			if (addr < l->end || !(r = stf__peer_image_find(p, addr)) ||
			    r->value != i || r->start != l->end)
				continue;
		}
		struct elf_file *e = elf_open(l->path);
		if (!e)
			return -1;
		const char *n = elf_find_addr(e, addr - l->bias, off);
		*lib = base_name(l->path);
		*sym = n;
		if (!n) /* a local symbol of a stripped library (IFUNC targets) */
			*off = addr - l->bias;
		return 0;
	}
	return -1;
}

/* The dynamic data symbol of e named name (or, name NULL, containing
 * vaddr), NULL if none. */
static const Elf64_Sym *dyn_object(const struct elf_file *e, const char *name, uint64_t vaddr)
{
	for (size_t i = 0; i < e->nsyms[1]; i++) {
		const Elf64_Sym *s = &e->syms[1][i];
		if (ELF64_ST_TYPE(s->st_info) == STT_OBJECT && s->st_shndx != SHN_UNDEF &&
		    (name ? !strcmp(elf_sym_name(e, 1, s), name) :
			    vaddr >= s->st_value && vaddr - s->st_value < s->st_size))
			return s;
	}
	return NULL;
}

/* A place in src's executable where no object of the program is, in the
 * executable's copy of a library's variable or constant (a copy
 * relocation: httpd's of libaprutil's apr_bucket_type_flush, which its
 * buckets point to): the same place of the new executable's copy, 0 if
 * it has none of that name and size. */
static uint64_t exe_copy_place(const struct stf_peer_lib *l, const struct stf_peer *dst,
			       uint64_t addr)
{
	const struct elf_file *se = elf_open(l->path);
	const Elf64_Sym *s = se ? dyn_object(se, NULL, addr - l->bias) : NULL;
	for (size_t i = 0; s && i < dst->nlibs; i++) {
		if (strcmp(dst->libs[i].path, dst->exe))
			continue;
		const struct elf_file *de = elf_open(dst->exe);
		const Elf64_Sym *d = de ? dyn_object(de, elf_sym_name(se, 1, s), 0) : NULL;
		if (!d || d->st_size != s->st_size)
			return 0;
		return d->st_value + (addr - l->bias - s->st_value) + dst->libs[i].bias;
	}
	return 0;
}

int stf__peer_inside_lib_code(const struct stf_peer *p, uint64_t addr)
{
	const struct stf_range *r = stf__peer_image_find(p, addr);
	if (!r || !strcmp(p->libs[r->value].path, p->exe))
		return 0;
	const struct stf_peer_lib *l = &p->libs[r->value];
	const struct elf_file *e = elf_open(l->path);
	return e && elf_inside_code(e, addr - l->bias);
}

uint64_t stf__peer_same_place(const struct stf_peer *src, const struct stf_peer *dst,
			      uint64_t addr)
{
	const struct stf_range *r = stf__peer_image_find(src, addr);
	if (!r)
		return 0;
	const struct stf_peer_lib *l = &src->libs[r->value];
	for (size_t i = 0; i < dst->nlibs; i++)
		if (dst->libs[i].ino == l->ino && dst->libs[i].dev == l->dev &&
		    !strcmp(dst->libs[i].path, l->path))
			return addr - l->bias + dst->libs[i].bias;
	return strcmp(l->path, src->exe) ? 0 : exe_copy_place(l, dst, addr);
}

uint64_t stf__peer_lib_vaddr(struct stf_peer *p, const char *lib, uint64_t vaddr)
{
	for (size_t i = 0; i < p->nlibs; i++)
		if (!strcmp(base_name(p->libs[i].path), lib))
			return vaddr + p->libs[i].bias;
	return 0;
}

uint64_t stf__peer_symbol_addr(struct stf_peer *p, const char *lib, const char *sym)
{
	for (size_t i = 0; i < p->nlibs; i++) {
		const struct stf_peer_lib *l = &p->libs[i];
		if (lib ? strcmp(base_name(l->path), lib) : strcmp(l->path, p->exe))
			continue;
		struct elf_file *e = elf_open(l->path);
		uint64_t v;
		if (e && !elf_find_name(e, sym, &v))
			return v + l->bias;
		return 0;
	}
	return 0;
}

/* Does the dynamic section of e have an entry `tag` (DT_NEEDED,
 * DT_SONAME) naming `name`?  name NULL: the value of its first such entry
 * is returned in *found. */
static int elf_dynamic_names(const struct elf_file *e, int64_t tag, const char *name,
			     const char **found)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->map;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(e->map + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNAMIC || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset + sh[i].sh_size > e->size)
			continue;
		const Elf64_Shdr *ss = &sh[sh[i].sh_link];
		if (ss->sh_offset + ss->sh_size > e->size)
			continue;
		const Elf64_Dyn *d = (const Elf64_Dyn *)(e->map + sh[i].sh_offset);
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*d) && d[k].d_tag != DT_NULL; k++) {
			if (d[k].d_tag != tag || d[k].d_un.d_val >= ss->sh_size)
				continue;
			const char *n = (const char *)e->map + ss->sh_offset + d[k].d_un.d_val;
			if (!memchr(n, 0, ss->sh_size - d[k].d_un.d_val))
				continue;
			if (!name) {
				*found = n;
				return 1;
			}
			if (!strcmp(n, name))
				return 1;
		}
	}
	return 0;
}

/* libstf's own file among the peer's libraries, NULL if none. */
static struct elf_file *libstf_file(const struct stf_peer *p)
{
	uint64_t v;
	for (size_t i = 0; i < p->nlibs; i++) {
		/* not the executable, which may hold a copy of libstf's
		 * variables (copy relocations) */
		struct elf_file *e = strcmp(p->libs[i].path, p->exe) ? elf_open(p->libs[i].path) : NULL;
		if (e && !elf_find_name(e, "stf__update_pending", &v))
			return e;
	}
	return NULL;
}

/* Is any object of the catalog in [start, end)?  (An instrumented
 * library's statics are typed objects of their own.) */
static int catalog_has(const struct stf_peer *p, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = p->index.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->index.ranges[mid].start + p->index.ranges[mid].size <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->index.n && p->index.ranges[lo].start < end;
}

/* Catalog [start, start + size) of the peer as library data named id. */
static int add_lib_object(struct stf_peer *p, uint64_t start, uint64_t size, const char *id,
			  const char *path, char *err, size_t errlen)
{
	struct stf_obj o = { 0 };
	o.addr = start;
	o.size = size;
	o.id = stf__arena_strdup(p->arena, id);
	o.kind = STF_OBJ_STATIC;
	o.flags = STF_OBJF_EXTERNAL;
	/* not indexed, so not fetched with the rest: read here (a peer is
	 * quiesced while it is open) */
	uint8_t *bytes = p->self ? NULL : stf__arena_alloc(p->arena, size);
	o.bytes = p->self ? (const uint8_t *)(uintptr_t)start : bytes;
	if (!o.id || !o.bytes || stf__peer_add(p, &o) == (size_t)-1) {
		stf__fail(err, errlen, "out of memory cataloguing the data of %s", path);
		return -1;
	}
	if (bytes && stf__peer_read(p, start, bytes, size) < 0) {
		stf__fail(err, errlen, "process %d: cannot read the data of %s (%" PRIu64
			  " bytes at 0x%" PRIx64 "): %s", (int)p->pid, path, size, start,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* The executable's copies of the libraries' variables it uses
 * (R_X86_64_COPY relocations: libev's ev_default_loop_ptr, read by an
 * inline function of ev.h, lives in the executable's .bss, and the library
 * uses that copy), each catalogued with the library that defines it; not
 * its copies of their constants, read-only once relocated. */
static int add_copies(struct stf_peer *p, struct elf_file **libs, size_t nlibs, char *err,
		      size_t errlen)
{
	size_t x = 0;
	while (x < p->nlibs && strcmp(p->libs[x].path, p->exe))
		x++;
	struct elf_file *e = x < p->nlibs ? elf_open(p->exe) : NULL;
	if (!e || !e->syms[1])
		return 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->map;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(e->map + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_RELA || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset + sh[i].sh_size > e->size ||
		    (const Elf64_Sym *)(e->map + sh[sh[i].sh_link].sh_offset) != e->syms[1])
			continue;
		const Elf64_Rela *r = (const Elf64_Rela *)(e->map + sh[i].sh_offset);
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*r); k++) {
			size_t si = ELF64_R_SYM(r[k].r_info);
			/* a constant of the library (apr_month_snames) is copied
			 * into what RELRO makes read-only: the same in both
			 * versions, and not writable */
			if (ELF64_R_TYPE(r[k].r_info) != R_X86_64_COPY || si >= e->nsyms[1] ||
			    !e->syms[1][si].st_size || r[k].r_offset < e->data_start ||
			    r[k].r_offset >= e->data_end)
				continue;
			const char *name = elf_sym_name(e, 1, &e->syms[1][si]);
			uint64_t v;
			for (size_t l = 0; l < nlibs; l++) {
				char id[300];
				if (elf_find_name(libs[l], name, &v))
					continue;
				snprintf(id, sizeof(id), "%s:%s%s", base_name(libs[l]->path), name,
					 STF_LIB_DATA_SUFFIX);
				if (add_lib_object(p, r[k].r_offset + p->libs[x].bias,
						   e->syms[1][si].st_size, id, libs[l]->path, err,
						   errlen) < 0)
					return -1;
				break;
			}
		}
	}
	return 0;
}

int stf__add_lib_data(struct stf_peer *p, char *err, size_t errlen)
{
	struct elf_file *libstf = libstf_file(p);
	struct elf_file **libs = stf__arena_alloc(p->arena, (p->nlibs + 1) * sizeof(*libs));
	size_t nlibs = 0;
	if (!libs) {
		stf__fail(err, errlen, "out of memory cataloguing the libraries' data");
		return -1;
	}
	for (size_t i = 0; i < p->nlibs; i++) {
		const struct stf_peer_lib *l = &p->libs[i];
		int seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(p->libs[k].path, l->path);
		if (seen || !strcmp(l->path, p->exe))
			continue;
		/* not the runtime's, nor libstf's or those libstf uses itself
		 * while it transfers (zlib) */
		struct elf_file *e = elf_open(l->path);
		const char *soname;
		if (!e || e->runtime || e == libstf ||
		    (libstf && elf_dynamic_names(e, DT_SONAME, NULL, &soname) &&
		     elf_dynamic_names(libstf, DT_NEEDED, soname, NULL)))
			continue;
		uint64_t start = e->data_start + l->bias, end = e->data_end + l->bias;
		if (e->data_end > e->data_start && catalog_has(p, start, end))
			continue; /* instrumented */
		libs[nlibs++] = e;
		char id[300];
		snprintf(id, sizeof(id), "%s%s", base_name(l->path), STF_LIB_DATA_SUFFIX);
		if (e->data_end > e->data_start &&
		    add_lib_object(p, start, end - start, id, l->path, err, errlen) < 0)
			return -1;
	}
	if (add_copies(p, libs, nlibs, err, errlen) < 0)
		return -1;
	/* the threads' pthread key slots: carried the same way */
	return stf__add_tsd(p, err, errlen);
}

int stf__lib_is_runtime(const char *path)
{
	const struct elf_file *e = path && *path ? elf_open(path) : NULL;
	return e && e->runtime;
}

const struct stf_obj *stf__peer_lib_data_at(const struct stf_peer *p, uint64_t addr)
{
	/* catalogued last, after the indexed objects */
	for (size_t i = p->nobjs; i-- > 0 && stf__is_lib_data(&p->objs[i]);)
		if (p->objs[i].addr == addr)
			return &p->objs[i];
	return NULL;
}

int stf__peer_initial_bytes(const struct stf_peer *p, uint64_t addr, void *buf, size_t len)
{
	const struct stf_range *r = stf__peer_image_find(p, addr);
	if (!r || addr + len > r->start + r->size)
		return -1;
	const struct stf_peer_lib *l = &p->libs[r->value];
	const struct elf_file *e = elf_open(l->path);
	if (!e)
		return -1;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->map;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->map + eh->e_phoff);
	uint64_t vaddr = addr - l->bias;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || vaddr < ph[i].p_vaddr ||
		    vaddr + len > ph[i].p_vaddr + ph[i].p_memsz)
			continue;
		uint64_t off = vaddr - ph[i].p_vaddr;
		memset(buf, 0, len); /* .bss, and past the file's bytes */
		if (off < ph[i].p_filesz) {
			uint64_t n = ph[i].p_filesz - off < len ? ph[i].p_filesz - off : len;
			if (ph[i].p_offset + off + n > e->size)
				return -1;
			memcpy(buf, e->map + ph[i].p_offset + off, n);
		}
		return 0;
	}
	return -1;
}
