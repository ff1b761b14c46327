/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reversed.c - the reversed version's side of the backward transfer: R
 * serves F's requests (allocate, zero and record, create mappings,
 * re-create streams), then records what was written for the state
 * differencing (diff.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "slots.h"
#include "remote.h"
#include "scratch.h"
#include "xfer.h"

/* ------------------------------------------------------------------ */
/* The reversed version's side.                                        */

/* What was written, sorted in place at the end (stf__xfer_served). */
static struct stf_index served_ix = STF_INDEX_INIT;
static struct stf_served served;

const struct stf_served *stf__xfer_served(void)
{
	served.ranges = served_ix.ranges;
	served.n = served_ix.n;
	served.cap = served_ix.cap;
	return &served;
}

void stf__xfer_serve_expect(size_t n)
{
	/* touched now, while R waits for the backward transfer: a fresh
	 * page costs more than the writes of the ranges it holds */
	stf__peer_index_reserve(&served_ix, n);
}

static int served_add(uint64_t addr, uint64_t size)
{
	return stf__index_add(&served_ix, addr, size, 0);
}

/* Mappings created for the future version, writable while it writes
 * them: their protection (value) is set at the end of the transfer. */
static struct stf_range *served_protect;
static size_t nserved_protect;

static int served_protect_add(uint64_t addr, uint64_t size, int prot)
{
	struct stf_range *n = stf__raw_realloc(served_protect,
					       (nserved_protect + 1) * sizeof(*n));
	if (!n)
		return -1;
	served_protect = n;
	n[nserved_protect++] = (struct stf_range){ addr, size, (uint64_t)prot };
	return 0;
}

/* A mapping of M_MMAP_AT: at its old address `at`; elsewhere if that is
 * taken and not `must`.  NULL (err set) on failure. */
static void *serve_mapping(uint64_t at, uint64_t size, uint64_t own, uint32_t must, uint32_t site,
			   uint64_t id, const char *site_id, char *err, size_t errlen)
{
	char what[400];
	void *obj = stf__mmap_with(size, PROT_READ | PROT_WRITE, site, id, at, own);
	if (!obj && errno == EEXIST && !must)
		obj = stf__mmap_with(size, PROT_READ | PROT_WRITE, site, id, 0, 0);
	if (!obj && errno == EEXIST)
		snprintf(err, errlen, "the mapping of %.200s at 0x%" PRIx64 " (%" PRIu64 " bytes), "
			 "which a word not known to be a pointer holds, cannot be created at its "
			 "address: 0x%" PRIx64 "-0x%" PRIx64 " is taken here by %s", site_id, at, size,
			 at, at + size, stf__occupant(at, at + size, what, sizeof(what)));
	else if (!obj)
		snprintf(err, errlen, "cannot create the mapping of %" PRIu64 " bytes of %.200s: %s",
			 size, site_id, strerror(errno));
	return obj;
}

/* The pages of the blocks of an M_PLACE message [u64 addr, u64 size, u64
 * id, u32 len, site[len]]..., made accessible and populated at once
 * (placement.c; stf__place_batch_end after): one by one, each took a
 * system call and page faults. */
static void place_batch_begin(const uint8_t *p, uint32_t len)
{
	size_t n = 0;
	struct stf_place_block *blocks = stf__bulk_alloc(len / 28 * sizeof(*blocks));
	if (!blocks)
		return;  /* (the pages then fault in one by one) */
	for (uint32_t pos = 0, sl; len - pos >= 28; pos += 28 + sl) {
		memcpy(&blocks[n].addr, p + pos, 8);
		memcpy(&blocks[n].size, p + pos + 8, 8);
		memcpy(&sl, p + pos + 24, 4);
		n++;
		if (sl > len - pos - 28)
			break;  /* malformed: serve_alloc says so */
	}
	stf__place_batch_begin(blocks, n);
	stf__bulk_free(blocks);
}

/* M_ALLOC (heap blocks), M_MMAP_AT (mappings, `mapping` set) or M_PLACE
 * (heap blocks at given addresses, `placed` set). */
static int serve_alloc_each(int conn, const uint8_t *p, uint32_t len, int mapping, int placed,
			    char *err, size_t errlen)
{
	uint64_t *addrs = stf__scratch(SCRATCH_SERVE_ALLOC);
	size_t n = 0, pos = 0, hs = mapping ? 44 : placed ? 28 : 20;
	char site[512];
	uint32_t sitenum = 0;
	if (!addrs) {
		snprintf(err, errlen, "no memory for a transfer message buffer");
		stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
		return -1;
	}
	while (pos < len) {
		uint64_t size, id, at = 0, own = 0;
		uint32_t sl, prot = 0, must = 0;
		if (len - pos < hs)
			goto bad;
		if (mapping) {
			memcpy(&at, p + pos, 8);
			memcpy(&size, p + pos + 8, 8);
			memcpy(&own, p + pos + 16, 8);
			memcpy(&id, p + pos + 24, 8);
			memcpy(&prot, p + pos + 32, 4);
			memcpy(&must, p + pos + 36, 4);
		} else {
			if (placed)
				memcpy(&at, p + pos, 8);
			memcpy(&size, p + pos + (placed ? 8 : 0), 8);
			memcpy(&id, p + pos + (placed ? 16 : 8), 8);
		}
		memcpy(&sl, p + pos + hs - 4, 4);
		if (sl >= sizeof(site) || len - pos - hs < sl ||
		    (mapping && (!size || (prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC)))))
			goto bad;
		if (!sitenum || strncmp(site, (const char *)p + pos + hs, sl) || site[sl]) {
			memcpy(site, p + pos + hs, sl);
			site[sl] = 0;
			sitenum = stf__site_by_id(site);
		}
		if (!sitenum) {
			snprintf(err, errlen, "allocation site %.200s unknown in the reversed version",
				 site);
			stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
			return -1;
		}
		void *obj = mapping ? serve_mapping(at, size, own, must, sitenum, id, site, err, errlen) :
			    placed ? stf__alloc_at(at, size, sitenum, id) :
			    stf__alloc_with(size, sitenum, id);
		if (!obj && placed)
			snprintf(err, errlen, "cannot create the block of %" PRIu64 " bytes of %.200s "
				 "at its address 0x%" PRIx64 ": %s", size, site, at, strerror(errno));
		if (!obj && (placed || mapping)) {
			stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
			return -1;
		}
		if (!obj || served_add((uint64_t)(uintptr_t)obj, size) < 0 ||
		    (mapping && prot != (PROT_READ | PROT_WRITE) &&
		     served_protect_add((uint64_t)(uintptr_t)obj, size, (int)prot) < 0)) {
			snprintf(err, errlen, "out of memory allocating %" PRIu64 " bytes for %.200s",
				 size, site);
			stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
			return -1;
		}
		if (!mapping) /* (a new mapping is zero already) */
			memset(obj, 0, size); /* validation mode: nothing left over */
		addrs[n++] = (uint64_t)(uintptr_t)obj;
		pos += hs + sl;
	}
	return stf__msg_send(conn, M_ADDRS, addrs, (uint32_t)(n * 8));
bad:
	snprintf(err, errlen, "malformed allocation request from the future version");
	stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
	return -1;
}

static int serve_alloc(int conn, const uint8_t *p, uint32_t len, int mapping, int placed,
		       char *err, size_t errlen)
{
	if (!placed)
		return serve_alloc_each(conn, p, len, mapping, placed, err, errlen);
	place_batch_begin(p, len);
	int rc = serve_alloc_each(conn, p, len, mapping, placed, err, errlen);
	stf__place_batch_end();
	return rc;
}

static int serve_zero(int conn, const uint8_t *p, uint32_t len, char *err, size_t errlen)
{
	struct stf_peer self;
	int rc = 0;
	if (len % 16) {
		snprintf(err, errlen, "malformed zero request from the future version");
		return -1;
	}
	/* only objects of our own catalog may be zeroed */
	if (stf__peer_open(&self, getpid(), 0, STF_PEER_STATICS | STF_PEER_FRAMES,
			   stf__xfer_own_frame(), err, errlen) < 0)
		return -1;
	for (uint32_t pos = 0; pos < len; pos += 16) {
		uint64_t addr, size;
		memcpy(&addr, p + pos, 8);
		memcpy(&size, p + pos + 8, 8);
		const struct stf_obj *o = stf__peer_find(&self, addr);
		if (!o || o->addr != addr)
			o = stf__peer_lib_data_at(&self, addr);
		if (!o || o->addr != addr || o->size != size ||
		    (o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_LOCAL)) {
			snprintf(err, errlen, "the future version asked to zero 0x%" PRIx64
				 " (%" PRIu64 " bytes), which is not a static or local here",
				 addr, size);
			rc = -1;
			break;
		}
		memset((void *)(uintptr_t)addr, 0, size);
		if (served_add(addr, size) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	stf__peer_close(&self);
	if (rc == 0)
		rc = stf__msg_send(conn, M_OK, NULL, 0);
	return rc;
}

/* M_STREAM: re-create a stdio stream of the future version here. */
static int serve_stream(int conn, const uint8_t *p, uint32_t len, char *err, size_t errlen)
{
	int32_t fd, buffering;
	char mode[4];
	if (len < 12) {
		snprintf(err, errlen, "malformed stream request from the future version");
		stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
		return -1;
	}
	memcpy(&fd, p, 4);
	memcpy(&buffering, p + 4, 4);
	memcpy(mode, p + 8, 4);
	if (mode[3] || (buffering != _IOFBF && buffering != _IOLBF && buffering != _IONBF) ||
	    (strcmp(mode, "r") && strcmp(mode, "w") && strcmp(mode, "a") &&
	     strcmp(mode, "r+") && strcmp(mode, "a+"))) {
		snprintf(err, errlen, "malformed stream request from the future version");
		stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
		return -1;
	}
	FILE *f = stf__stream_create(fd, mode, buffering, p + 12, len - 12, err, errlen);
	if (!f) {
		stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
		return -1;
	}
	uint64_t addr = (uint64_t)(uintptr_t)f;
	return stf__msg_send(conn, M_ADDRS, &addr, 8);
}

int stf__xfer_serve(int conn, struct stf_xfer_report *rep)
{
	uint8_t *buf = stf__scratch(SCRATCH_SERVE);
	double t0 = stf__now();
	uint32_t type, len;

	memset(rep, 0, sizeof(*rep));
	if (!buf) {
		snprintf(rep->error, sizeof(rep->error), "reversed version: no memory for a "
			 "transfer message buffer");
		return -1;
	}
	stf__index_reset(&served_ix);
	nserved_protect = 0;
	stf__profile_mark(NULL);
	for (;;) {
		if (stf__msg_recv(conn, &type, buf, &len) < 0) {
			snprintf(rep->error, sizeof(rep->error), "reversed version: the "
				 "connection to the future version was lost (%s)",
				 errno ? strerror(errno) : "malformed message");
			return -1;
		}
		switch (type) {
		case M_FRAME_REQ: {
			const struct stf_parked_frame *f = stf__xfer_own_frame();
			if (stf__msg_send(conn, M_FRAME, f, f ? sizeof(*f) : 0) < 0)
				goto lost;
			break;
		}
		case M_ALLOC:
		case M_MMAP_AT:
		case M_PLACE: {
			size_t before = served_ix.n;
			if (!before)
				stf__profile_mark("serve: wait for F's first request");
			if (serve_alloc(conn, buf, len, type == M_MMAP_AT, type == M_PLACE, rep->error,
					sizeof(rep->error)) < 0)
				return -1;
			rep->dynamic_objects += served_ix.n - before;
			break;
		}
		case M_SUB:
			if (stf__serve_subs(buf, len, rep->error, sizeof(rep->error)) < 0) {
				stf__msg_send(conn, M_ERROR, rep->error, (uint32_t)strlen(rep->error));
				return -1;
			}
			if (stf__msg_send(conn, M_OK, NULL, 0) < 0)
				goto lost;
			break;
		case M_SLAB_FIND:
			if (stf__serve_slab_find(conn, buf, len, rep->error, sizeof(rep->error)) < 0)
				return -1;
			break;
		case M_SLOTS:
			if (stf__serve_slots(conn, buf, len, served_add, rep->error,
					     sizeof(rep->error)) < 0)
				return -1;
			break;
		case M_STREAM:
			if (serve_stream(conn, buf, len, rep->error, sizeof(rep->error)) < 0)
				return -1;
			break;
		case M_ZERO:
			if (serve_zero(conn, buf, len, rep->error, sizeof(rep->error)) < 0) {
				stf__msg_send(conn, M_ERROR, rep->error, (uint32_t)strlen(rep->error));
				return -1;
			}
			rep->static_objects += len / 16;
			break;
		case M_DONE: {
			uint32_t status = 1;
			stf__profile_mark("serve: requests (allocate, zero)");
			if (len >= 4)
				memcpy(&status, buf, 4);
			if (!status && stf__apply_protect(served_protect, nserved_protect, rep->error,
						     sizeof(rep->error)) < 0) {
				stf__msg_send(conn, M_ERROR, rep->error, (uint32_t)strlen(rep->error));
				return -1;
			}
			stf__msg_send(conn, M_OK, NULL, 0);
			rep->seconds_transfer = stf__now() - t0;
			if (status) {
				snprintf(rep->error, sizeof(rep->error), "backward transfer failed "
					 "in the future version: %.*s", (int)(len > 4 ? len - 4 : 0),
					 (const char *)buf + 4);
				return -1;
			}
			/* sorted, for stf__diff's lookups (no two overlap:
			 * each was allocated here or is a distinct object) */
			stf__index_sort(&served_ix, NULL, NULL);
			stf__profile_mark("serve: sort what was written");
			return 0;
		}
		default:
			snprintf(rep->error, sizeof(rep->error), "reversed version: unexpected "
				 "message %u from the future version", type);
			stf__msg_send(conn, M_ERROR, rep->error, (uint32_t)strlen(rep->error));
			return -1;
		}
	}
lost:
	snprintf(rep->error, sizeof(rep->error), "reversed version: the connection to the "
		 "future version was lost (%s)", strerror(errno));
	return -1;
}
