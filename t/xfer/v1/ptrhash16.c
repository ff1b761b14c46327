/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A set keyed by object address, as servers keep their live connections
 * (and GLib's g_direct_hash does): open addressing, the slot chosen by the
 * connection's address, each slot keeping the connection and the hash it
 * was filed under.  Wherever the connections end up, version 2 (V2) must
 * find each of them by its address.  The cases of the family:
 *   (none)  version 2 grows the connection past its block, 16 -> 32 bytes:
 *           it keeps its address with a block of the new size; a peer
 *           allocated after each connection lies in the bytes it grows
 *           over when blocks of 16 bytes are 16 bytes apart, and moves
 *           (hunt15-ptrhash);
 *   SAME    version 2 keeps the connection's type and grows the slots
 *           (ptrhash16-same);
 *   FITS    version 2 grows the connection within its block, 24 -> 28
 *           bytes of 32; other connections, interleaved in the heap, are
 *           in no set (ptrhash16-fits);
 *   STATIC  the set also holds a static connection, the listener, which
 *           lives in the executable and so cannot keep its address in the
 *           new version (ptrhash16-static: rolls back).
 */
#include "xt.h"

#if defined V2 && !defined SAME && !defined STATIC
#define CONN_GROWS
#endif
#if !defined SAME && !defined STATIC && !defined FITS
#define WITH_PEERS
#endif

struct conn {
#ifdef FITS
	long id;
#endif
	int fd;
#if defined CONN_GROWS && defined FITS
	int port;     /* new in 2: 28 bytes, in the block's 32 */
#elif defined CONN_GROWS
	long bytes;   /* new in 2: 32 bytes, past the block's 16 */
#endif
	char name[12];
};

#if defined V2 && defined SAME
#define ADDRSET_SLOT_MORE unsigned hits;   /* new in 2 */
#endif
#define NSLOTS 64
#define NCONNS 20
#ifdef FITS
#define IN_SET(i) ((i) % 3 != 0)
#else
#define IN_SET(i) 1
#endif

#define ADDRSET_ELEM struct conn
#include "addrset.h"

static struct conn *all[NCONNS];
#ifdef WITH_PEERS
struct peer {
	int port;
	char tag[12];
};
/* read by version 2 only: `used`, or -O2 drops it from version 1 */
static struct peer *peers[NCONNS] __attribute__((used));
#endif
#ifdef STATIC
static struct conn listener = { 3, "listener" };
#endif

static void init(void)
{
	live = calloc(NSLOTS, sizeof *live);
	for (int i = 0; i < NCONNS; i++) {
		all[i] = calloc(1, sizeof(struct conn));
#ifdef FITS
		all[i]->id = i;
#endif
		all[i]->fd = 100 + i;
		snprintf(all[i]->name, sizeof all[i]->name, "conn%d", i);
#ifdef WITH_PEERS
		peers[i] = calloc(1, sizeof(struct peer));
		peers[i]->port = 2000 + i;
		snprintf(peers[i]->tag, sizeof peers[i]->tag, "peer%d", i);
#endif
		if (IN_SET(i))
			live_add(all[i]);
	}
#ifdef STATIC
	live_add(&listener);
#endif
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < NCONNS; i++) {
		char name[12];
		snprintf(name, sizeof name, "conn%d", i);
		CHECK(all[i]->fd == 100 + i && !strcmp(all[i]->name, name));
#if defined CONN_GROWS && defined FITS
		CHECK(all[i]->id == i && all[i]->port == 0);
#elif defined CONN_GROWS
		CHECK(all[i]->bytes == 0);
#endif
		CHECK(live_find(all[i]) == (IN_SET(i) ? all[i] : NULL));
#ifdef WITH_PEERS
		snprintf(name, sizeof name, "peer%d", i);
		CHECK(peers[i]->port == 2000 + i && !strcmp(peers[i]->tag, name));
#endif
	}
#ifdef SAME
	for (unsigned i = 0; i < NSLOTS; i++)
		CHECK(live[i].hits == 0);
#endif
#ifdef STATIC
	CHECK(live_find(&listener) == &listener);
#endif
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	XT_V1_LOOP();
}
#endif
