/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * binary.c - the pre-flight check of a new version's executable.
 *
 * A few reads of the ELF headers with <elf.h>, no library: ttstd is the
 * reliable computing base and stays small.  Every offset and size read
 * from the file is checked against the file size before use.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binary.h"

#define MAX_TABLE    (64u << 20) /* a section table or string table we read */

static int read_at(int fd, off_t off, void *buf, size_t len)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* Read a whole section into a new buffer (NUL-terminated). */
static char *read_section(int fd, const Elf64_Shdr *sh, off_t fsize)
{
	char *buf;

	if (sh->sh_type == SHT_NOBITS || sh->sh_size > MAX_TABLE ||
	    sh->sh_offset > (uint64_t)fsize || sh->sh_size > (uint64_t)fsize - sh->sh_offset)
		return NULL;
	buf = malloc(sh->sh_size + 1);
	if (buf && read_at(fd, (off_t)sh->sh_offset, buf, sh->sh_size) < 0) {
		free(buf);
		return NULL;
	}
	if (buf)
		buf[sh->sh_size] = '\0';
	return buf;
}

/* Is libstf among the DT_NEEDED entries of the dynamic section? */
static int needs_libstf(int fd, const Elf64_Shdr *dyn, const Elf64_Shdr *dynstr, off_t fsize)
{
	Elf64_Dyn *d = (Elf64_Dyn *)read_section(fd, dyn, fsize);
	char *str = read_section(fd, dynstr, fsize);
	int found = 0;

	if (d && str)
		for (size_t i = 0; i < dyn->sh_size / sizeof *d && d[i].d_tag != DT_NULL; i++)
			if (d[i].d_tag == DT_NEEDED && d[i].d_un.d_val < dynstr->sh_size &&
			    strncmp(str + d[i].d_un.d_val, "libstf.so", 9) == 0)
				found = 1;
	free(d);
	free(str);
	return found;
}

int ttstd_check_binary(const char *path, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	char *names = NULL;
	struct stat st;
	/* O_NONBLOCK: opening a FIFO would wait for a writer, and a device
	 * may do anything; only a regular file is read. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), rc = -1;
	int units = 0;
	const Elf64_Shdr *dyn = NULL, *dynstr = NULL;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file (%s): the new version must be "
			 "an executable file", path, S_ISFIFO(st.st_mode) ? "a FIFO" :
			 S_ISCHR(st.st_mode) ? "a character device" :
			 S_ISBLK(st.st_mode) ? "a block device" : S_ISDIR(st.st_mode) ? "a directory" :
			 S_ISSOCK(st.st_mode) ? "a socket" : "a special file");
		goto out;
	}
	/* A script (a libtool wrapper, a launcher that execs the program)
	 * cannot be checked here; it is checked by the update itself. */
	if (read_at(fd, 0, &eh, 2) == 0 && memcmp(eh.e_ident, "#!", 2) == 0) {
		rc = 0;
		goto out;
	}
	if (read_at(fd, 0, &eh, sizeof eh) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		snprintf(err, errlen, "%s is not an x86-64 ELF executable", path);
		goto out;
	}
	if (eh.e_shentsize != sizeof *sh || eh.e_shnum == 0 ||
	    eh.e_shstrndx >= eh.e_shnum ||
	    eh.e_shoff > (uint64_t)st.st_size ||
	    (uint64_t)eh.e_shnum * sizeof *sh > (uint64_t)st.st_size - eh.e_shoff) {
		snprintf(err, errlen, "%s: no usable ELF section headers", path);
		goto out;
	}
	sh = malloc(eh.e_shnum * sizeof *sh);
	if (!sh || read_at(fd, (off_t)eh.e_shoff, sh, eh.e_shnum * sizeof *sh) < 0 ||
	    !(names = read_section(fd, &sh[eh.e_shstrndx], st.st_size))) {
		snprintf(err, errlen, "%s: cannot read its ELF section headers", path);
		goto out;
	}
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		const char *name = sh[i].sh_name < sh[eh.e_shstrndx].sh_size ?
				   names + sh[i].sh_name : "";
		if (strcmp(name, "stf_units") == 0)
			units = 1;
		else if (sh[i].sh_type == SHT_DYNAMIC)
			dyn = &sh[i];
		else if (strcmp(name, ".dynstr") == 0)
			dynstr = &sh[i];
	}
	if (!units) {
		snprintf(err, errlen, "%s carries no ttst metadata (no stf_units section): "
			 "build it with CC=ttst-cc or gcc -fplugin=stf.so", path);
		goto out;
	}
	if (!dyn || !dynstr || !needs_libstf(fd, dyn, dynstr, st.st_size)) {
		snprintf(err, errlen, "%s is not linked with libstf (-lstf): it could not "
			 "receive the state", path);
		goto out;
	}
	rc = 0;
out:
	free(names);
	free(sh);
	if (fd >= 0)
		close(fd);
	return rc;
}
