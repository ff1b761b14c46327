/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-meta - inspect the ttst metadata of a binary: dump it, verify it
 * against DWARF, diff the state of two versions.  See stf-meta(1).
 */
#include <config.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stf-meta.h"

static const char usage_text[] =
	"Usage: stf-meta dump [--json] BINARY\n"
	"       stf-meta verify BINARY\n"
	"       stf-meta diff [--json] OLD NEW\n"
	"       stf-meta --help | --version\n"
	"\n"
	"Inspect the ttst metadata (section stf_units) that the stf.so GCC plugin\n"
	"puts into a binary.\n"
	"\n"
	"  dump    print units, static objects, types, allocation sites and\n"
	"          update-point frames\n"
	"  verify  cross-check objects and types against the DWARF debug\n"
	"          information (the binary must be built with -g)\n"
	"  diff    list the state-level differences between two versions and\n"
	"          whether the automatic transfer covers each one\n"
	"\n"
	"Exit status: 0 success / agreement / no state change, 1 disagreement or\n"
	"differences, 2 usage error or unreadable input.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "stf-meta: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'stf-meta --help'.\n");
	return EXIT_USAGE;
}

struct elfmeta *stf_meta_tool_open(const char *path)
{
	char err[1024];
	enum elfmeta_status st;
	struct elfmeta *em = elfmeta_open(path, &st, err, sizeof err);

	if (!em)
		fprintf(stderr, "stf-meta: %s\n", err);
	return em;
}

/* Length of the valid UTF-8 sequence at s, 0 if invalid. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		int n;

		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else if (*s < 0x80)
			fputc(*s, f);
		else if ((n = utf8_len(s))) {
			fwrite(s, 1, (size_t)n, f);
			s += n;
			continue;
		} else {
			/* corrupted strings must not make the output invalid JSON */
			fputs("\\ufffd", f);
		}
		s++;
	}
	fputc('"', f);
}

const char *kind_name(unsigned kind)
{
	return stf_meta_kind_name(kind);
}

const char *object_kind_name(unsigned kind)
{
	switch (kind) {
	case STF_O_VAR:    return "var";
	case STF_O_FUNC:   return "func";
	case STF_O_STRING: return "string";
	default:           return "?";
	}
}

/* ------------------------------------------------------------------ */
/* Flag words                                                           */

struct flag_name { unsigned bit; const char *name; };

static const struct flag_name unit_flags[] = {
	{ STF_BF_OPTIMIZED, "optimized" }, { STF_BF_PIC, "pic" }, { 0, NULL } };
static const struct flag_name type_flags[] = {
	{ STF_TF_SIGNED, "signed" }, { STF_TF_BOOL, "bool" }, { STF_TF_CHAR, "char" },
	{ STF_TF_FLEXIBLE, "flexible" }, { STF_TF_INCOMPLETE, "incomplete" },
	{ STF_TF_VARIADIC, "variadic" }, { STF_TF_OPAQUE, "opaque" },
	{ STF_TF_AMBIGUOUS, "ambiguous" }, { STF_TF_FUNCTIONS, "functions" },
	{ STF_TF_SYSTEM, "system" }, { 0, NULL } };
static const struct flag_name qual_flags[] = {
	{ STF_Q_CONST, "const" }, { STF_Q_VOLATILE, "volatile" }, { 0, NULL } };
static const struct flag_name member_flags[] = {
	{ STF_MF_IXFER, "ixfer" }, { STF_MF_PXFER, "pxfer" }, { 0, NULL } };
static const struct flag_name object_flags[] = {
	{ STF_OF_EXTERN, "extern" }, { STF_OF_LOCAL, "local" },
	{ STF_OF_READONLY, "readonly" }, { STF_OF_TLS, "tls" },
	{ STF_OF_IXFER, "ixfer" }, { STF_OF_PXFER, "pxfer" }, { 0, NULL } };
static const struct flag_name site_flags[] = {
	{ STF_SF_ZEROED, "zeroed" }, { STF_SF_REALLOC, "realloc" },
	{ STF_SF_MMAP, "mmap" }, { STF_SF_STRING, "string" },
	{ STF_SF_WRAPPER, "wrapper" }, { STF_SF_INLINED, "inlined" },
	{ STF_SF_CONSTCNT, "constcnt" }, { STF_SF_AUTOWRAP, "autowrap" },
	{ STF_SF_SLOT, "slot" }, { STF_SF_UNKNOWN_CALLERS, "unknown-callers" }, { 0, NULL } };

/* Text: " a b" (leading space per flag); JSON: ["a","b"]. */
static void print_flags(FILE *f, unsigned flags, const struct flag_name *names,
			bool json)
{
	bool first = true;

	if (json)
		fputc('[', f);
	for (; names->name; names++) {
		if (!(flags & names->bit))
			continue;
		if (json)
			fprintf(f, "%s\"%s\"", first ? "" : ",", names->name);
		else
			fprintf(f, " %s", names->name);
		first = false;
	}
	if (json)
		fputc(']', f);
}

/* ------------------------------------------------------------------ */
/* dump                                                                 */

static void type_str(const struct stf_meta_unit *u, uint32_t t, char *buf, size_t len)
{
	if (t == STF_NONE)
		snprintf(buf, len, "?");
	else
		stf_meta_type_name(u, t, buf, len);
}

/* An address key record (stf-format.h, STF_USE_ADDR_KEY); used: its
 * type's name. */
static void print_addr_key(const struct stf_meta_unit *u, const struct stf_use_rec *r,
			   const char *used)
{
	const char *key = r->flags & STF_USE_ADDR_ORDER ? "address order" : "address key";
	if (r->flags & STF_USE_ADDR_PARAM)
		printf("    %s: %s(#%u)\n", key, stf_meta_str(u, r->member),
		       STF_USE_INDEX(r->flags));
	else if (r->flags & STF_USE_ADDR_ARG)
		printf("    address key if %s(#%u) is one: %s * from %s()\n",
		       stf_meta_str(u, r->member), STF_USE_INDEX(r->flags),
		       r->used == STF_NONE ? "void" : used, stf_meta_str(u, r->via));
	else if (r->flags & STF_USE_ADDR_ANY)
		printf("    %s: void * in %s()\n", key, stf_meta_str(u, r->via));
	else
		printf("    %s: %s * in %s()\n", key, used, stf_meta_str(u, r->via));
}

static void dump_text(const char *path, const struct stf_meta *m)
{
	size_t no = 0, nt = 0, ns = 0, nf = 0;
	char tb[1024], place[1024];

	for (size_t i = 0; i < m->nunits; i++) {
		no += m->units[i].nobjects;
		nt += m->units[i].ntypes;
		ns += m->units[i].nsites;
		nf += m->units[i].nframes;
	}
	printf("%s: %zu units, %zu objects, %zu types, %zu sites, %zu frames\n",
	       path, m->nunits, no, nt, ns, nf);
	for (size_t ui = 0; ui < m->nunits; ui++) {
		const struct stf_meta_unit *u = &m->units[ui];
		const struct stf_blob_hdr *h = u->blob;

		printf("unit %zu: %s\n", ui, stf_meta_str(u, h->file));
		printf("  path: %s\n", stf_meta_str(u, h->path));
		printf("  producer: %s\n", stf_meta_str(u, h->producer));
		printf("  flags:");
		print_flags(stdout, h->flags, unit_flags, false);
		printf("\n  blob: %u bytes, %" PRIu64 " in the file (%u stored as they are, "
		       "the rest deflated)\n", h->size, u->unit->blob_size, h->stored);
		printf("  objects: %u\n", u->nobjects);
		for (uint32_t i = 0; i < u->nobjects; i++) {
			const struct stf_object_rec *o = &u->objects[i];

			type_str(u, o->type, tb, sizeof tb);
			printf("    %s: %s", stf_meta_str(u, o->id), object_kind_name(o->kind));
			print_flags(stdout, o->flags, object_flags, false);
			if (o->kind == STF_O_STRING && o->name) {
				stf_meta_literal_place(u, i, place, sizeof place);
				printf(" at %s", place);
			} else if (o->func)
				printf(" in %s", stf_meta_str(u, o->func));
			printf(", type %s, address 0x%" PRIx64 ", size %" PRIu64 ", line %u\n",
			       tb, u->addrs[i], o->size, o->line);
		}
		printf("  types: %u\n", u->ntypes);
		for (uint32_t i = 0; i < u->ntypes; i++) {
			const struct stf_type_rec *t = &u->types[i];

			type_str(u, i, tb, sizeof tb);
			printf("    [%u] %s: %s", i, tb, kind_name(t->kind));
			print_flags(stdout, t->flags, type_flags, false);
			print_flags(stdout, t->quals, qual_flags, false);
			printf(", size %" PRIu64 ", align %u", t->size, t->align);
			if (t->kind == STF_K_ARRAY || t->kind == STF_K_VECTOR)
				printf(", count %" PRIu64, t->count);
			if (t->target != STF_NONE)
				printf(", target [%u]", t->target);
			printf(", hash 0x%016" PRIx64 "\n", t->hash);
			for (uint32_t k = 0; k < t->nmembers; k++) {
				const struct stf_member_rec *mr = &u->members[t->members + k];

				if (t->kind == STF_K_ENUM) {
					printf("      %s = %" PRId64 "\n",
					       stf_meta_str(u, mr->name), mr->offset);
					continue;
				}
				type_str(u, mr->type, tb, sizeof tb);
				if (t->kind == STF_K_FUNCTION) {
					printf("      param %u: %s\n", k, tb);
					continue;
				}
				printf("      .%s: %s, offset %" PRId64,
				       mr->name ? stf_meta_str(u, mr->name) : "<anonymous>",
				       tb, mr->offset);
				if (mr->bit_size)
					printf(", bits %u+%u", mr->bit_offset, mr->bit_size);
				print_flags(stdout, mr->flags, member_flags, false);
				printf("\n");
			}
		}
		printf("  sites: %u\n", u->nsites);
		for (uint32_t i = 0; i < u->nsites; i++) {
			const struct stf_site_rec *s = &u->sites[i];

			type_str(u, s->type, tb, sizeof tb);
			printf("    %s: %s in %s -> %s, type %s, count %" PRIu64 ", flags",
			       stf_meta_str(u, s->id), stf_meta_str(u, s->allocator),
			       stf_meta_str(u, s->func),
			       s->dest ? stf_meta_str(u, s->dest) : "?", tb, s->count);
			print_flags(stdout, s->flags, site_flags, false);
			if (s->flags & STF_SF_SLAB_STATIC)
				printf(", slab read from %s at %s", stf_meta_str(u, s->slab),
				       stf_meta_str(u, s->slab_path));
			printf(", line %u\n", s->line);
		}
		printf("  void * members used as: %u\n", u->nuses);
		for (uint32_t i = 0; i < u->nuses; i++) {
			const struct stf_use_rec *r = &u->uses[i];
			char ub[256];

			type_str(u, r->type, tb, sizeof tb);
			type_str(u, r->used, ub, sizeof ub);
			if (r->flags & STF_USE_ADDR_KEY) {
				print_addr_key(u, r, ub);
				continue;
			}
			if (r->flags & STF_USE_BYTES_READ) {
				printf("    %s (%s): bytes read by %s()\n", stf_meta_str(u, r->member), tb,
				       stf_meta_str(u, r->via));
				continue;
			}
			if (r->flags & STF_USE_STRIDE) {
				printf("    %s.%s: element size %s.%s\n", tb,
				       stf_meta_str(u, r->member), tb, stf_meta_str(u, r->via));
				continue;
			}
			if (r->flags & STF_USE_OFFSET) {
				printf("    %s.%s: offset %s %s *\n", tb, stf_meta_str(u, r->member),
				       r->flags & STF_USE_OFFSET_SUB ? "subtracted from" : "added to",
				       r->used == STF_NONE ? "void" : ub);
				continue;
			}
			if (r->flags & STF_USE_RESULT) {
				printf("    %s() -> %s *\n", stf_meta_str(u, r->member), ub);
				continue;
			}
			if (r->flags & STF_USE_PARAM) {
				printf("    %s(#%u) -> %s *\n", stf_meta_str(u, r->member),
				       STF_USE_INDEX(r->flags), ub);
				continue;
			}
			printf("    %s.%s", tb, stf_meta_str(u, r->member));
			if (r->flags & STF_USE_ELEMENT)
				printf("[%u]", STF_USE_INDEX(r->flags));
			if (r->flags & STF_USE_VIA_MEMBER) {
				type_str(u, r->via_type, tb, sizeof tb);
				printf(" (through %s.%s)", tb, stf_meta_str(u, r->via));
			} else if (r->flags & STF_USE_VIA_VAR) {
				printf(" (through %s)", stf_meta_str(u, r->via));
			} else if (r->flags & STF_USE_IN_FN) {
				printf(" (in %s)", stf_meta_str(u, r->via));
			}
			if (r->flags & STF_USE_RETURNED)
				printf(" returned by %s()\n", stf_meta_str(u, r->via));
			else if (r->flags & STF_USE_PASSED)
				printf(" passed to %s(#%u)\n", stf_meta_str(u, r->via), r->via_type);
			else
				printf(" -> %s *\n", ub);
		}
		printf("  frames: %u\n", u->nframes);
		for (uint32_t i = 0; i < u->nframes; i++) {
			const struct stf_frame_rec *f = &u->frames[i];

			printf("    %s, line %u:", stf_meta_str(u, f->func), f->line);
			for (uint32_t k = 0; k < f->nlocals; k++) {
				const struct stf_local_rec *l = &u->locals[f->locals + k];
				type_str(u, l->type, tb, sizeof tb);
				printf("%s %s (%s)", k ? "," : "", stf_meta_str(u, l->name), tb);
			}
			printf("\n");
		}
	}
}

static void json_type_ref(FILE *f, const struct stf_meta_unit *u, const char *key,
			  uint32_t t)
{
	char tb[1024];

	if (t == STF_NONE) {
		fprintf(f, "\"%s\":null", key);
		return;
	}
	stf_meta_type_name(u, t, tb, sizeof tb);
	fprintf(f, "\"%s\":", key);
	json_string(f, tb);
	fprintf(f, ",\"%s_index\":%u", key, t);
}

static void dump_json(const char *path, const struct stf_meta *m)
{
	FILE *f = stdout;

	fprintf(f, "{\"binary\":");
	json_string(f, path);
	fprintf(f, ",\"units\":[");
	for (size_t ui = 0; ui < m->nunits; ui++) {
		const struct stf_meta_unit *u = &m->units[ui];
		const struct stf_blob_hdr *h = u->blob;

		fprintf(f, "%s\n{\"file\":", ui ? "," : "");
		json_string(f, stf_meta_str(u, h->file));
		fprintf(f, ",\"path\":");
		json_string(f, stf_meta_str(u, h->path));
		fprintf(f, ",\"producer\":");
		json_string(f, stf_meta_str(u, h->producer));
		fprintf(f, ",\"flags\":");
		print_flags(f, h->flags, unit_flags, true);
		fprintf(f, ",\n\"objects\":[");
		for (uint32_t i = 0; i < u->nobjects; i++) {
			const struct stf_object_rec *o = &u->objects[i];
			char place[1024];

			fprintf(f, "%s\n{\"id\":", i ? "," : "");
			json_string(f, stf_meta_str(u, o->id));
			if (o->kind == STF_O_STRING) {
				/* name and func say where it is: its place */
				stf_meta_literal_place(u, i, place, sizeof place);
				fprintf(f, ",\"place\":");
				json_string(f, place);
			} else {
				fprintf(f, ",\"name\":");
				json_string(f, stf_meta_str(u, o->name));
				fprintf(f, ",\"func\":");
				json_string(f, stf_meta_str(u, o->func));
			}
			fprintf(f, ",\"kind\":\"%s\",\"flags\":", object_kind_name(o->kind));
			print_flags(f, o->flags, object_flags, true);
			fputc(',', f);
			json_type_ref(f, u, "type", o->type);
			fprintf(f, ",\"address\":\"0x%" PRIx64 "\",\"size\":%" PRIu64
				",\"line\":%u}", u->addrs[i], o->size, o->line);
		}
		fprintf(f, "],\n\"types\":[");
		for (uint32_t i = 0; i < u->ntypes; i++) {
			const struct stf_type_rec *t = &u->types[i];
			char tb[1024];

			stf_meta_type_name(u, i, tb, sizeof tb);
			fprintf(f, "%s\n{\"index\":%u,\"spelled\":", i ? "," : "", i);
			json_string(f, tb);
			fprintf(f, ",\"name\":");
			json_string(f, stf_meta_str(u, t->name));
			fprintf(f, ",\"kind\":\"%s\",\"flags\":", kind_name(t->kind));
			print_flags(f, t->flags, type_flags, true);
			fprintf(f, ",\"quals\":");
			print_flags(f, t->quals, qual_flags, true);
			fprintf(f, ",\"size\":%" PRIu64 ",\"align\":%u,\"count\":%" PRIu64 ",",
				t->size, t->align, t->count);
			json_type_ref(f, u, "target", t->target);
			fprintf(f, ",\"hash\":\"0x%016" PRIx64 "\",\"members\":[", t->hash);
			for (uint32_t k = 0; k < t->nmembers; k++) {
				const struct stf_member_rec *mr = &u->members[t->members + k];

				fprintf(f, "%s{\"name\":", k ? "," : "");
				json_string(f, stf_meta_str(u, mr->name));
				if (t->kind == STF_K_ENUM) {
					fprintf(f, ",\"value\":%" PRId64 "}", mr->offset);
					continue;
				}
				fputc(',', f);
				json_type_ref(f, u, "type", mr->type);
				fprintf(f, ",\"offset\":%" PRId64 ",\"bit_offset\":%u,\"bit_size\":%u,\"flags\":",
					mr->offset, mr->bit_offset, mr->bit_size);
				print_flags(f, mr->flags, member_flags, true);
				fputc('}', f);
			}
			fprintf(f, "]}");
		}
		fprintf(f, "],\n\"sites\":[");
		for (uint32_t i = 0; i < u->nsites; i++) {
			const struct stf_site_rec *s = &u->sites[i];

			fprintf(f, "%s\n{\"id\":", i ? "," : "");
			json_string(f, stf_meta_str(u, s->id));
			fprintf(f, ",\"func\":");
			json_string(f, stf_meta_str(u, s->func));
			fprintf(f, ",\"allocator\":");
			json_string(f, stf_meta_str(u, s->allocator));
			fprintf(f, ",\"dest\":");
			json_string(f, stf_meta_str(u, s->dest));
			fputc(',', f);
			json_type_ref(f, u, "type", s->type);
			fprintf(f, ",\"ordinal\":%u,\"count\":%" PRIu64 ",\"line\":%u,\"flags\":",
				s->ordinal, s->count, s->line);
			print_flags(f, s->flags, site_flags, true);
			fputc('}', f);
		}
		fprintf(f, "],\n\"frames\":[");
		for (uint32_t i = 0; i < u->nframes; i++) {
			const struct stf_frame_rec *fr = &u->frames[i];

			fprintf(f, "%s\n{\"func\":", i ? "," : "");
			json_string(f, stf_meta_str(u, fr->func));
			fprintf(f, ",\"line\":%u,\"locals\":[", fr->line);
			for (uint32_t k = 0; k < fr->nlocals; k++) {
				const struct stf_local_rec *l = &u->locals[fr->locals + k];
				fprintf(f, "%s{\"name\":", k ? "," : "");
				json_string(f, stf_meta_str(u, l->name));
				fputc(',', f);
				json_type_ref(f, u, "type", l->type);
				fputc('}', f);
			}
			fprintf(f, "]}");
		}
		fprintf(f, "],\n\"uses\":[");
		for (uint32_t i = 0; i < u->nuses; i++) {
			const struct stf_use_rec *r = &u->uses[i];

			fprintf(f, "%s\n{", i ? "," : "");
			json_type_ref(f, u, "type", r->type);
			fprintf(f, ",\"member\":");
			json_string(f, stf_meta_str(u, r->member));
			fputc(',', f);
			json_type_ref(f, u, "used", r->used);
			if (r->flags & STF_USE_VIA_MEMBER) {
				fputc(',', f);
				json_type_ref(f, u, "via_type", r->via_type);
			}
			if (r->flags & STF_USE_ELEMENT)
				fprintf(f, ",\"element\":%u", STF_USE_INDEX(r->flags));
			if (r->flags & STF_USE_RETURNED) {
				fprintf(f, ",\"returned_by\":");
				json_string(f, stf_meta_str(u, r->via));
			}
			if (r->flags & STF_USE_RESULT)
				fprintf(f, ",\"result_of\":true");
			if (r->flags & STF_USE_ADDR_KEY) {
				/* member: the function of the parameter; via: the
				 * function keeping the address, or passing it */
				fprintf(f, ",\"address_key\":\"%s\",\"function\":",
					r->flags & STF_USE_ADDR_PARAM ? "parameter" :
					r->flags & STF_USE_ADDR_ARG ? "argument" :
					r->flags & STF_USE_ADDR_ANY ? "any" : "type");
				json_string(f, stf_meta_str(u, r->via));
				if (r->flags & (STF_USE_ADDR_PARAM | STF_USE_ADDR_ARG))
					fprintf(f, ",\"parameter\":%u", STF_USE_INDEX(r->flags));
				if (r->flags & STF_USE_ADDR_ORDER)
					fprintf(f, ",\"ordered\":true");
			}
			if (r->flags & STF_USE_BYTES_READ) {
				fprintf(f, ",\"bytes_read_by\":");
				json_string(f, stf_meta_str(u, r->via));
			}
			if (r->flags & STF_USE_IN_FN) {
				fprintf(f, ",\"in_function\":");
				json_string(f, stf_meta_str(u, r->via));
			}
			if (r->flags & STF_USE_PARAM)
				fprintf(f, ",\"parameter\":%u", STF_USE_INDEX(r->flags));
			if (r->flags & STF_USE_PASSED) {
				fprintf(f, ",\"passed_to\":");
				json_string(f, stf_meta_str(u, r->via));
				fprintf(f, ",\"parameter\":%u", r->via_type);
			}
			if (r->flags & STF_USE_STRIDE) {
				fprintf(f, ",\"element_size\":");
				json_string(f, stf_meta_str(u, r->via));
			} else if (r->flags & STF_USE_VIA) {
				fprintf(f, ",\"via\":");
				json_string(f, stf_meta_str(u, r->via));
			}
			fputc('}', f);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	bool json = false;
	struct elfmeta *em;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return usage_error("%s: unknown option", "dump");
		json = true;
	}
	if (argc - optind != 1)
		return usage_error("%s: expected exactly one BINARY", "dump");
	em = stf_meta_tool_open(argv[optind]);
	if (!em)
		return EXIT_USAGE;
	if (json)
		dump_json(argv[optind], elfmeta_meta(em));
	else
		dump_text(argv[optind], elfmeta_meta(em));
	elfmeta_close(em);
	if (fflush(stdout) || ferror(stdout)) {
		perror("stf-meta: writing the dump");
		return EXIT_USAGE;
	}
	return EXIT_SAME;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return usage_error("%s", "missing subcommand (dump, verify or diff)");
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return EXIT_SAME;
	}
	if (!strcmp(cmd, "--version")) {
		printf("stf-meta (%s) %s, metadata format %u\n", PACKAGE_NAME,
		       PACKAGE_VERSION, STF_FORMAT_VERSION);
		return EXIT_SAME;
	}
	/* Subcommand options are parsed from argv[1] on. */
	argc--;
	argv++;
	optind = 1;
	if (!strcmp(cmd, "dump"))
		return cmd_dump(argc, argv);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(argc, argv);
	if (!strcmp(cmd, "diff"))
		return cmd_diff(argc, argv);
	return usage_error("unknown subcommand '%s' (dump, verify or diff)", cmd);
}
