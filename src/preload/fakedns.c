/* SPDX-License-Identifier: MIT */
/*
 * The name <-> fake address table (contract in fakedns.h, layout in
 * fakedns_table.h, where the file lives in fakedns_file.c).
 *
 * Readers take no lock and make no system call on a hit.  Each entry
 * carries a sequence counter (a seqlock): a writer makes it odd, changes
 * the entry, makes it even again; a reader reads the counter, the fields
 * it needs, the counter again, and retries (a few times, then takes the
 * lock) when it changed or was odd.  A miss is never believed without the
 * lock: it may be a writer's half-finished change.  Writers (a new name, a
 * name's first address in a family, recycling) hold the process-shared
 * robust mutex.
 *
 * Recycling.  A process "holds" a fake address from the moment it is handed
 * out until the program stops using it; the library cannot see a program
 * forget an address, so "in use" means "used within fake_ttl seconds":
 * every entry has a last-use stamp (CLOCK_MONOTONIC seconds, a vDSO read)
 * refreshed when its name is resolved and when any process looks its
 * address up (connect, sendto, getnameinfo...), in any process.  Addresses
 * are handed out in order 1, 2, 3...; only when a network (or the entry
 * array) is exhausted does a writer recycle, and then only an entry whose
 * stamp is older than the TTL: it walks a clock hand over the offsets,
 * takes a free one or evicts an expired entry (the whole entry: both its
 * addresses, its name).  Nothing expired: -ENOSPC, logged: a full table
 * fails closed, it never hands out a live address.  A stamp in the future
 * (another clock: another boot, a time namespace) counts as fresh.
 *
 * The race between a reader refreshing a stamp and a writer evicting the
 * entry is closed Dekker-style: the reader stores the stamp, fences, then
 * re-reads the sequence counter; the writer makes the counter odd, fences,
 * then reads the stamp.  One of them sees the other: either the writer
 * finds the entry fresh and leaves it, or the reader sees the counter
 * change and retries (under the lock, it then gets a new address).
 *
 * Damage.  Every index read from the table is bounds-checked before use;
 * a name must be NUL-terminated, printable and match its stored hash.  An
 * inconsistency found by a reader or writer marks the table corrupt (the
 * next process to open the file replaces it), is logged once, and fails
 * the call closed.  A lock holder that died (EOWNERDEAD) may have left an
 * entry half-written: the next writer repairs the table (drops odd
 * entries, rebuilds the indexes) before going on.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "preload/fakedns.h"
#include "preload/fakedns_table.h"
#include "preload/init.h"

/* Lock-free read attempts before a reader takes the lock. */
#define FDNS_READ_TRIES 8

static struct fakedns_table *table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static int corrupt_logged;

/* Test settings (fakedns_reset_for_tests and friends). */
static bool nets_forced;
static struct net_cidr forced_net[FAM_N];
static int forced_ttl;
static int64_t clock_skew;

/* A folded name, NUL-padded to whole words, and its hash. */
struct fdns_key {
	uint64_t w[FAKEDNS_NAME_WORDS];
	unsigned nwords; /* words up to and including the NUL */
	uint32_t hash;
};

/* The built-in default networks (conf.h CONF_DEFAULT_FAKE_NETWORK*). */
static void fakedns_default_net(int fam, struct net_cidr *c)
{
	static const uint8_t v6[16] = {0xfd, 0x53, 0x6f, 0x63, 0x6b, 0x73};

	memset(c, 0, sizeof(*c));
	if (fam == FAM_V4) {
		c->ip.family = AF_INET;
		c->ip.b[0] = 198;
		c->ip.b[1] = 18;
		c->prefix = 15;
	} else {
		c->ip.family = AF_INET6;
		memcpy(c->ip.b, v6, sizeof(v6));
		c->prefix = 64;
	}
}

/* The fake network of family index @fam, from the config or the default. */
static void fakedns_net(int fam, struct net_cidr *c)
{
	const struct conf *conf;

	if (nets_forced) {
		*c = forced_net[fam];
		return;
	}
	conf = socksify_conf();
	if (conf == NULL) {
		fakedns_default_net(fam, c);
		return;
	}
	*c = fam == FAM_V4 ? conf->fake_network : conf->fake_network6;
}

/* fake_ttl in seconds (>= 1). */
static int64_t fakedns_ttl(void)
{
	const struct conf *conf;

	if (forced_ttl > 0)
		return forced_ttl;
	conf = nets_forced ? NULL : socksify_conf();
	if (conf == NULL || conf->fake_ttl < 1)
		return CONF_DEFAULT_FAKE_TTL;
	return conf->fake_ttl;
}

/* Seconds on CLOCK_MONOTONIC (coarse: a vDSO read, no system call). */
static int64_t fakedns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec + clock_skew;
}

static void fakedns_open(void)
{
	struct net_cidr nets[FAM_N];
	int saved = errno;

	fakedns_net(FAM_V4, &nets[FAM_V4]);
	fakedns_net(FAM_V6, &nets[FAM_V6]);
	__atomic_store_n(&table, fakedns_file_map(nets), __ATOMIC_RELEASE);
	errno = saved;
}

static struct fakedns_table *fakedns_table(void)
{
	int saved = errno;

	pthread_once(&table_once, fakedns_open);
	errno = saved;
	return __atomic_load_n(&table, __ATOMIC_ACQUIRE);
}

static int fakedns_fam(int family)
{
	if (family == AF_INET)
		return FAM_V4;
	if (family == AF_INET6)
		return FAM_V6;
	return -1;
}

static unsigned fakedns_bits(int fam)
{
	return fam == FAM_V4 ? 32 : 128;
}

/*
 * How many host offsets a network offers: 2^hostbits minus the network and
 * the all-ones address, capped at FAKEDNS_MAX.
 */
static uint32_t fakedns_capacity(const struct net_cidr *c, int fam)
{
	unsigned hostbits = fakedns_bits(fam) - c->prefix;
	uint64_t n;

	if (c->prefix > fakedns_bits(fam) || hostbits < 2)
		return 0;
	if (hostbits >= 17)
		return FAKEDNS_MAX;
	n = ((uint64_t)1 << hostbits) - 2;
	return n > FAKEDNS_MAX ? FAKEDNS_MAX : (uint32_t)n;
}

/* Address = network + @off (@off < 2^32 and inside the host part). */
static void fakedns_make_ip(const struct net_cidr *c, int fam, uint32_t off,
			    struct net_ip *ip)
{
	unsigned len = fam == FAM_V4 ? 4 : 16;
	uint64_t carry = off;
	int i;

	memset(ip, 0, sizeof(*ip));
	ip->family = fam == FAM_V4 ? AF_INET : AF_INET6;
	memcpy(ip->b, c->ip.b, len);
	for (i = (int)len - 1; i >= 0 && carry; i--) {
		carry += ip->b[i];
		ip->b[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

/*
 * Is @ip in network @c?  If so, *@off gets its host offset, or UINT32_MAX
 * when the offset does not fit 32 bits (never handed out).
 */
static bool fakedns_in_net(const struct net_cidr *c, int fam,
			   const struct net_ip *ip, uint32_t *off)
{
	unsigned len = fam == FAM_V4 ? 4 : 16;
	unsigned prefix = c->prefix, i;
	uint64_t v = 0;

	if (prefix > len * 8)
		return false;
	for (i = 0; i < len; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);

		if ((ip->b[i] & mask) != (c->ip.b[i] & mask))
			return false;
		if (v >> 32 == 0)
			v = (v << 8) | (ip->b[i] & (uint8_t)~mask);
	}
	*off = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	return true;
}

/* FNV-1a over @n bytes; never 0 (0 marks a free entry). */
static uint32_t fakedns_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h ? h : 1;
}

/*
 * Fold @name into @k: lower case, one trailing dot removed, NUL-padded.
 * Returns the length, or -EINVAL for an empty, too long or non-printable
 * name.
 */
static int fakedns_fold(const char *name, struct fdns_key *k)
{
	char *out = (char *)k->w;
	size_t len, i;

	if (name == NULL)
		return -EINVAL;
	len = strnlen(name, FAKEDNS_NAME_MAX + 2);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > FAKEDNS_NAME_MAX)
		return -EINVAL;
	memset(k->w, 0, sizeof(k->w));
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch <= ' ' || ch >= 0x7f)
			return -EINVAL;
		out[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 'a' - 'A' : ch);
	}
	k->nwords = (unsigned)(len / 8 + 1);
	k->hash = fakedns_hash(out, len);
	return (int)len;
}

/* ---- damage ---------------------------------------------------------- */

/* Mark the table corrupt, log once.  Returns -EIO for the caller. */
static int fakedns_corrupt(struct fakedns_table *t, const char *what)
{
	fakedns_file_mark_corrupt(t);
	if (__atomic_exchange_n(&corrupt_logged, 1, __ATOMIC_RELAXED) == 0)
		LOG_ERR("the name table %s is corrupt (%s): names cannot be "
			"resolved through it; programs started from now on "
			"replace it",
			fakedns_file_path()[0] ? fakedns_file_path()
					       : "(private)",
			what);
	return -EIO;
}

/*
 * Copy the name of entry @e (stable: seqlock read or lock held) into
 * @out and check it: NUL-terminated,
 * printable, matching @e's hash.  Returns the length or -EIO.
 */
static int fakedns_copy_name(struct fakedns_entry *e,
			     char out[FAKEDNS_NAME_WORDS * 8])
{
	uint64_t w;
	size_t len;
	unsigned i;

	for (i = 0; i < FAKEDNS_NAME_WORDS; i++) {
		w = FDNS_LD(e->name[i]);
		memcpy(out + i * 8, &w, 8);
		if ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull)
			break; /* this word holds a NUL */
	}
	if (i == FAKEDNS_NAME_WORDS)
		return -EIO;
	len = strnlen(out, FAKEDNS_NAME_MAX + 1);
	if (len == 0 || len > FAKEDNS_NAME_MAX)
		return -EIO;
	for (i = 0; i < len; i++)
		if ((unsigned char)out[i] <= ' ' ||
		    (unsigned char)out[i] >= 0x7f)
			return -EIO;
	return fakedns_hash(out, len) == FDNS_LD(e->hash) ? (int)len : -EIO;
}

/* ---- lock-free readers ------------------------------------------------ */

/*
 * Refresh @e's stamp to @now and confirm the entry did not change since
 * the reader saw sequence @s1 (the Dekker half of the reader: see the
 * header comment).
 */
static bool fakedns_touch_confirm(struct fakedns_entry *e, uint32_t s1,
				  int64_t now)
{
	if (FDNS_LD(e->used) < now)
		FDNS_ST(e->used, now);
	FDNS_FENCE(e);
	return FDNS_LD(e->seq) == s1;
}

/* Does entry @e hold key @k?  (Fields read relaxed.) */
static bool fakedns_entry_is(struct fakedns_entry *e, const struct fdns_key *k)
{
	unsigned i;

	if (FDNS_LD(e->hash) != k->hash)
		return false;
	for (i = 0; i < k->nwords; i++)
		if (FDNS_LD(e->name[i]) != k->w[i])
			return false;
	return true;
}

/*
 * Lock-free: the offset of @k in family @fam, refreshing the stamp.
 * Returns the offset, or 0: not found, no offset yet, or not sure (the
 * caller takes the lock and looks again).
 */
static uint32_t fakedns_read_name(struct fakedns_table *t,
				  const struct fdns_key *k, int fam,
				  uint32_t cap, int64_t now)
{
	uint32_t i = k->hash & (FAKEDNS_SLOTS - 1), n, v, s1, off;
	struct fakedns_entry *e;

	for (n = 0; n < FAKEDNS_SLOTS; n++, i = (i + 1) & (FAKEDNS_SLOTS - 1)) {
		v = FDNS_LDA(t->hash[i]);
		if (v == 0)
			return 0;
		if (v == FAKEDNS_SLOT_TOMB)
			continue;
		if (v > FAKEDNS_MAX)
			return 0;
		e = &t->entries[v - 1];
		s1 = FDNS_LDA(e->seq);
		if ((s1 & 1) || !fakedns_entry_is(e, k))
			continue;
		off = FDNS_LD(e->off[fam]);
		if (off == 0 || off > cap)
			return 0;
		return fakedns_touch_confirm(e, s1, now) ? off : 0;
	}
	return 0;
}

/*
 * Lock-free: the name of offset @off in family @fam into @name, refreshing
 * the stamp.  Returns the length, 0 when not sure (take the lock), or
 * -ENAMETOOLONG.
 */
static int fakedns_read_off(struct fakedns_table *t, int fam, uint32_t off,
			    char *name, size_t cap, int64_t now)
{
	char buf[FAKEDNS_NAME_WORDS * 8];
	struct fakedns_entry *e;
	uint32_t v, s1;
	int tries, len;

	for (tries = 0; tries < FDNS_READ_TRIES; tries++) {
		v = FDNS_LDA(t->by_off[fam][off - 1]);
		if (v == 0 || v > FAKEDNS_MAX)
			return 0;
		e = &t->entries[v - 1];
		s1 = FDNS_LDA(e->seq);
		if (s1 & 1)
			continue;
		if (FDNS_LD(e->off[fam]) != off)
			continue;
		len = fakedns_copy_name(e, buf);
		if (!fakedns_touch_confirm(e, s1, now))
			continue;
		if (len < 0)
			return 0; /* the locked path decides */
		if ((size_t)len >= cap)
			return -ENAMETOOLONG;
		memcpy(name, buf, (size_t)len + 1);
		return len;
	}
	return 0;
}

/* ---- writers (table lock held) ---------------------------------------- */

static void fakedns_repair(struct fakedns_table *t);

/*
 * Lock the table.  A holder that died (another process) may have left an
 * entry half-changed: repair the table before going on.  Returns 0 or
 * -errno.
 */
static int fakedns_lock(struct fakedns_table *t)
{
	int rc = pthread_mutex_lock(&t->lock);

	if (rc == EOWNERDEAD) {
		fakedns_repair(t);
		rc = pthread_mutex_consistent(&t->lock);
	}
	return -rc;
}

static void fakedns_unlock(struct fakedns_table *t)
{
	pthread_mutex_unlock(&t->lock);
}

/* Begin changing @e: the sequence turns odd.  Returns the old sequence. */
static uint32_t fakedns_wbegin(struct fakedns_entry *e)
{
	uint32_t s = FDNS_LD(e->seq) & ~1u;

	FDNS_ST(e->seq, s + 1);
	FDNS_FENCE(e);
	return s;
}

static void fakedns_wend(struct fakedns_entry *e, uint32_t s)
{
	FDNS_STR(e->seq, s + 2);
}

/* Is a stamp expired at @now? */
static bool fakedns_expired(int64_t used, int64_t now, int64_t ttl)
{
	return used <= now && now - used > ttl;
}

/* Find the slot holding entry @idx (by its hash), or UINT32_MAX. */
static uint32_t fakedns_slot_of(struct fakedns_table *t, uint32_t idx,
				uint32_t hash)
{
	uint32_t i = hash & (FAKEDNS_SLOTS - 1), n, v;

	for (n = 0; n < FAKEDNS_SLOTS; n++, i = (i + 1) & (FAKEDNS_SLOTS - 1)) {
		v = FDNS_LD(t->hash[i]);
		if (v == 0)
			return UINT32_MAX;
		if (v == idx + 1)
			return i;
	}
	return UINT32_MAX;
}

/* Put entry @idx with @hash in the first free or removed slot. */
static void fakedns_slot_add(struct fakedns_table *t, uint32_t idx,
			     uint32_t hash)
{
	uint32_t i = hash & (FAKEDNS_SLOTS - 1), n, v;

	for (n = 0; n < FAKEDNS_SLOTS; n++, i = (i + 1) & (FAKEDNS_SLOTS - 1)) {
		v = FDNS_LD(t->hash[i]);
		if (v == FAKEDNS_SLOT_TOMB)
			FDNS_ST(t->ntomb, FDNS_LD(t->ntomb) - 1);
		if (v == 0 || v == FAKEDNS_SLOT_TOMB) {
			FDNS_STR(t->hash[i], idx + 1);
			return;
		}
	}
}

/* Rebuild hash[] from the live entries (drops the removed-slot marks). */
static void fakedns_rehash(struct fakedns_table *t)
{
	uint32_t i, n = FDNS_LD(t->nused);

	for (i = 0; i < FAKEDNS_SLOTS; i++)
		FDNS_ST(t->hash[i], 0);
	FDNS_ST(t->ntomb, 0);
	for (i = 0; i < n && i < FAKEDNS_MAX; i++)
		if (FDNS_LD(t->entries[i].hash) != 0)
			fakedns_slot_add(t, i, FDNS_LD(t->entries[i].hash));
}

/* Clear @e's fields (inside wbegin/wend). */
static void fakedns_clear_entry(struct fakedns_entry *e)
{
	unsigned i;

	FDNS_ST(e->hash, 0);
	FDNS_ST(e->off[FAM_V4], 0);
	FDNS_ST(e->off[FAM_V6], 0);
	FDNS_ST(e->used, 0);
	for (i = 0; i < FAKEDNS_NAME_WORDS; i++)
		FDNS_ST(e->name[i], 0);
}

/*
 * Evict entry @idx if its stamp is older than @ttl: its name and both
 * addresses go, the entry joins the free list.  Returns true if evicted.
 */
static bool fakedns_evict(struct fakedns_table *t, uint32_t idx, int64_t now,
			  int64_t ttl)
{
	struct fakedns_entry *e = &t->entries[idx];
	uint32_t s, slot, off, hash = FDNS_LD(e->hash);
	int f;

	if (hash == 0)
		return false;
	s = fakedns_wbegin(e);
	if (!fakedns_expired(FDNS_LD(e->used), now, ttl)) {
		fakedns_wend(e, s);
		return false;
	}
	slot = fakedns_slot_of(t, idx, hash);
	if (slot != UINT32_MAX) {
		FDNS_ST(t->hash[slot], FAKEDNS_SLOT_TOMB);
		FDNS_ST(t->ntomb, FDNS_LD(t->ntomb) + 1);
	}
	for (f = 0; f < FAM_N; f++) {
		off = FDNS_LD(e->off[f]);
		if (off != 0 && off <= FAKEDNS_MAX &&
		    FDNS_LD(t->by_off[f][off - 1]) == idx + 1)
			FDNS_ST(t->by_off[f][off - 1], 0);
	}
	fakedns_clear_entry(e);
	fakedns_wend(e, s);
	FDNS_ST(t->free_next[idx], FDNS_LD(t->free_head));
	FDNS_ST(t->free_head, idx + 1);
	FDNS_ST(t->nlive, FDNS_LD(t->nlive) - 1);
	if (FDNS_LD(t->ntomb) > FAKEDNS_MAX / 2)
		fakedns_rehash(t);
	return true;
}

/*
 * A host offset for family @fam: a never used one, else a free or
 * expired one found by the clock hand.  Returns it, or 0 (none left).
 */
static uint32_t fakedns_take_off(struct fakedns_table *t, int fam, uint32_t cap,
				 int64_t now, int64_t ttl)
{
	uint32_t next = FDNS_LD(t->next[fam]), n, k, v;

	if (next < cap) {
		FDNS_ST(t->next[fam], next + 1);
		return next + 1;
	}
	for (n = 0; n < cap; n++) {
		k = FDNS_LD(t->hand[fam]) % cap + 1;
		FDNS_ST(t->hand[fam], k);
		v = FDNS_LD(t->by_off[fam][k - 1]);
		if (v == 0 || v > FAKEDNS_MAX)
			return k;
		if (fakedns_evict(t, v - 1, now, ttl))
			return k;
	}
	return 0;
}

/*
 * A free entry: from the free list, a never used one, or an expired one
 * found by the clock hand.  Returns its index, or -ENOSPC.
 */
static long fakedns_take_entry(struct fakedns_table *t, int64_t now,
			       int64_t ttl)
{
	uint32_t head = FDNS_LD(t->free_head), used = FDNS_LD(t->nused), n, i;

	if (head == 0 && used >= FAKEDNS_MAX) {
		for (n = 0; n < FAKEDNS_MAX; n++) {
			i = (FDNS_LD(t->hand_e) + 1) % FAKEDNS_MAX;
			FDNS_ST(t->hand_e, i);
			if (fakedns_evict(t, i, now, ttl))
				break;
		}
		head = FDNS_LD(t->free_head);
	}
	if (head != 0 && head <= FAKEDNS_MAX) {
		FDNS_ST(t->free_head, FDNS_LD(t->free_next[head - 1]));
		return (long)head - 1;
	}
	if (used >= FAKEDNS_MAX)
		return -ENOSPC;
	if (fakedns_file_populate(t, used + 1) < 0)
		return -ENOMEM;
	FDNS_ST(t->nused, used + 1);
	return (long)used;
}

/* Find the entry of @k under the lock: its index, or -1. */
static long fakedns_find(struct fakedns_table *t, const struct fdns_key *k)
{
	uint32_t i = k->hash & (FAKEDNS_SLOTS - 1), n, v;

	for (n = 0; n < FAKEDNS_SLOTS; n++, i = (i + 1) & (FAKEDNS_SLOTS - 1)) {
		v = FDNS_LD(t->hash[i]);
		if (v == 0)
			return -1;
		if (v == FAKEDNS_SLOT_TOMB || v > FAKEDNS_MAX)
			continue;
		if (fakedns_entry_is(&t->entries[v - 1], k))
			return (long)v - 1;
	}
	return -1;
}

/*
 * Look up or create the entry of @k and make sure it has an offset in
 * @fam.  Returns the offset (> 0), -ENOSPC (network exhausted: nothing
 * expired), -E2BIG (entry array full: nothing expired), -ENOMEM (no
 * memory for the table), -EIO (corrupt).  Caller holds the lock.
 */
static long fakedns_assign_locked(struct fakedns_table *t,
				  const struct fdns_key *k, int fam,
				  uint32_t cap, int64_t now, int64_t ttl)
{
	struct fakedns_entry *e;
	uint32_t s, off;
	long idx = fakedns_find(t, k);
	unsigned i;

	if (idx >= 0) {
		e = &t->entries[idx];
		FDNS_ST(e->used, now); /* not recycled for its own address */
		off = FDNS_LD(e->off[fam]);
		if (off > cap)
			return fakedns_corrupt(t, "an offset out of range");
		if (off != 0)
			return off;
	} else {
		idx = fakedns_take_entry(t, now, ttl);
		if (idx == -ENOSPC)
			return -E2BIG;
		if (idx < 0)
			return idx;
		e = &t->entries[idx];
		s = fakedns_wbegin(e);
		fakedns_clear_entry(e);
		for (i = 0; i < FAKEDNS_NAME_WORDS; i++)
			FDNS_ST(e->name[i], k->w[i]);
		FDNS_ST(e->hash, k->hash);
		FDNS_ST(e->used, now);
		fakedns_wend(e, s);
		FDNS_ST(t->nlive, FDNS_LD(t->nlive) + 1);
		fakedns_slot_add(t, (uint32_t)idx, k->hash);
	}
	off = fakedns_take_off(t, fam, cap, now, ttl);
	if (off == 0)
		return -ENOSPC; /* the entry stays, without this family */
	s = fakedns_wbegin(e);
	FDNS_ST(e->off[fam], off);
	fakedns_wend(e, s);
	FDNS_STR(t->by_off[fam][off - 1], (uint32_t)idx + 1);
	return off;
}

/*
 * The name of offset @off in @fam under the lock, into @name.  Returns
 * the length, -ENOENT, -ENAMETOOLONG or -EIO.
 */
static int fakedns_lookup_locked(struct fakedns_table *t, int fam, uint32_t off,
				 char *name, size_t cap, int64_t now)
{
	char buf[FAKEDNS_NAME_WORDS * 8];
	struct fakedns_entry *e;
	uint32_t v = FDNS_LD(t->by_off[fam][off - 1]);
	int len;

	if (v == 0)
		return -ENOENT;
	if (v > FAKEDNS_MAX)
		return fakedns_corrupt(t, "an entry index out of range");
	e = &t->entries[v - 1];
	if (FDNS_LD(e->off[fam]) != off)
		return fakedns_corrupt(t, "an address that points to "
					  "another name");
	len = fakedns_copy_name(e, buf);
	if (len < 0)
		return fakedns_corrupt(t, "a damaged name");
	FDNS_ST(e->used, now);
	if ((size_t)len >= cap)
		return -ENAMETOOLONG;
	memcpy(name, buf, (size_t)len + 1);
	return len;
}

/*
 * After a lock holder died: drop half-written entries and rebuild every
 * index from the entries (offsets out of range or claimed twice are
 * dropped too).  Caller holds the (inconsistent) lock.
 */
static void fakedns_repair(struct fakedns_table *t)
{
	char buf[FAKEDNS_NAME_WORDS * 8];
	uint32_t i, n = FDNS_LD(t->nused), off, live = 0;
	struct fakedns_entry *e;
	int f;

	if (n > FAKEDNS_MAX)
		n = FAKEDNS_MAX;
	if (FDNS_LD(t->nready) < n)
		n = FDNS_LD(t->nready);
	FDNS_ST(t->nused, n);
	for (f = 0; f < FAM_N; f++) {
		for (i = 0; i < FAKEDNS_MAX; i++)
			FDNS_ST(t->by_off[f][i], 0);
		if (FDNS_LD(t->next[f]) > FAKEDNS_MAX)
			FDNS_ST(t->next[f], FAKEDNS_MAX);
	}
	FDNS_ST(t->free_head, 0);
	for (i = n; i-- > 0;) {
		e = &t->entries[i];
		if ((FDNS_LD(e->seq) & 1) || FDNS_LD(e->hash) == 0 ||
		    fakedns_copy_name(e, buf) < 0) {
			uint32_t s = fakedns_wbegin(e);

			fakedns_clear_entry(e);
			fakedns_wend(e, s);
		}
		for (f = 0; f < FAM_N; f++) {
			off = FDNS_LD(e->off[f]);
			if (off == 0)
				continue;
			if (off > FDNS_LD(t->next[f]) ||
			    FDNS_LD(t->by_off[f][off - 1]) != 0)
				FDNS_ST(e->off[f], 0);
			else
				FDNS_ST(t->by_off[f][off - 1], i + 1);
		}
		if (FDNS_LD(e->hash) == 0) {
			FDNS_ST(t->free_next[i], FDNS_LD(t->free_head));
			FDNS_ST(t->free_head, i + 1);
		} else {
			live++;
		}
	}
	FDNS_ST(t->nlive, live);
	fakedns_rehash(t);
	LOG_WARN("the name table %s was left half-changed by a process that "
		 "died: repaired",
		 fakedns_file_path()[0] ? fakedns_file_path() : "(private)");
}

/* ---- the API ---------------------------------------------------------- */

int fakedns_assign(const char *name, int family, struct net_ip *ip)
{
	struct fakedns_table *t;
	struct net_cidr net;
	struct fdns_key key;
	char nbuf[64];
	int fam = fakedns_fam(family), rc;
	int64_t now, ttl;
	uint32_t cap;
	long k;

	if (fam < 0 || fakedns_fold(name, &key) < 0)
		return -EINVAL;
	fakedns_net(fam, &net);
	cap = fakedns_capacity(&net, fam);
	t = fakedns_table();
	if (t == NULL)
		return -ENOMEM;
	now = fakedns_now();
	k = fakedns_read_name(t, &key, fam, cap, now);
	if (k > 0)
		goto found;
	ttl = fakedns_ttl();
	rc = fakedns_lock(t);
	if (rc < 0)
		return rc;
	k = fakedns_assign_locked(t, &key, fam, cap, now, ttl);
	fakedns_unlock(t);
	if (k == -ENOSPC) {
		LOG_ERR("fake network %s exhausted: all %u addresses were "
			"used within the last %lld s (fake_ttl); cannot "
			"resolve %.64s",
			net_cidr_format(&net, nbuf, sizeof(nbuf)),
			(unsigned)cap, (long long)ttl, (const char *)key.w);
		return -ENOSPC;
	}
	if (k == -E2BIG) {
		LOG_ERR("name table full: all %u names were used within the "
			"last %lld s (fake_ttl); cannot resolve %.64s",
			(unsigned)FAKEDNS_MAX, (long long)ttl,
			(const char *)key.w);
		return -ENOSPC;
	}
	if (k == -ENOMEM)
		LOG_ERR("name table %s: no memory to grow it; cannot resolve "
			"%.64s",
			fakedns_file_path(), (const char *)key.w);
	if (k < 0)
		return (int)k;
found:
	fakedns_make_ip(&net, fam, (uint32_t)k, ip);
	return 0;
}

bool fakedns_is_fake(const struct net_ip *in)
{
	struct net_cidr net;
	struct net_ip ip;
	uint32_t off;
	int fam;

	ip = *in;
	net_ip_unmap(&ip);
	fam = fakedns_fam(ip.family);
	if (fam < 0)
		return false;
	fakedns_net(fam, &net);
	return fakedns_in_net(&net, fam, &ip, &off);
}

int fakedns_lookup(const struct net_ip *in, char *name, size_t cap)
{
	struct fakedns_table *t;
	struct net_cidr net;
	struct net_ip ip;
	uint32_t off;
	int64_t now;
	int fam, rc;

	ip = *in;
	net_ip_unmap(&ip);
	fam = fakedns_fam(ip.family);
	if (fam < 0)
		return -EINVAL;
	fakedns_net(fam, &net);
	if (!fakedns_in_net(&net, fam, &ip, &off))
		return -EINVAL;
	if (off == 0 || off > fakedns_capacity(&net, fam))
		return -ENOENT;
	t = fakedns_table();
	if (t == NULL)
		return -ENOENT;
	now = fakedns_now();
	rc = fakedns_read_off(t, fam, off, name, cap, now);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fakedns_lock(t);
	if (rc < 0)
		return rc;
	rc = fakedns_lookup_locked(t, fam, off, name, cap, now);
	fakedns_unlock(t);
	if (rc == -EIO)
		return -ENOENT; /* logged: fail closed */
	return rc < 0 ? rc : 0;
}

/* ---- tests ------------------------------------------------------------ */

static void fakedns_noop(void)
{
}

int fakedns_reset_for_tests(const struct net_cidr *v4,
			    const struct net_cidr *v6)
{
	struct fakedns_table *t;

	if (v4)
		forced_net[FAM_V4] = *v4;
	else
		fakedns_default_net(FAM_V4, &forced_net[FAM_V4]);
	if (v6)
		forced_net[FAM_V6] = *v6;
	else
		fakedns_default_net(FAM_V6, &forced_net[FAM_V6]);
	nets_forced = true;
	forced_ttl = 0;
	clock_skew = 0;
	corrupt_logged = 0;
	fakedns_file_test_mode();
	pthread_once(&table_once, fakedns_noop);
	t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
	if (t != NULL) {
		/* a test table starts empty: the file goes, a new one comes */
		if (fakedns_file_path()[0])
			unlink(fakedns_file_path());
		munmap(t, sizeof(*t));
	}
	fakedns_open();
	return table ? 0 : -ENOMEM;
}

void fakedns_set_dir_for_tests(const char *dir)
{
	fakedns_file_set_dir_for_tests(dir);
}

void fakedns_set_ttl_for_tests(int ttl)
{
	forced_ttl = ttl;
}

void fakedns_advance_clock_for_tests(int64_t seconds)
{
	clock_skew += seconds;
}

int fakedns_remap_for_tests(void)
{
	struct fakedns_table *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);

	if (t != NULL)
		munmap(t, sizeof(*t));
	fakedns_open();
	return table ? 0 : -ENOMEM;
}
