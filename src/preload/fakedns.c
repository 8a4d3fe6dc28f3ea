/* SPDX-License-Identifier: MIT */
/*
 * The name <-> fake address table (contract in fakedns.h).
 *
 * Layout: one MAP_SHARED|MAP_ANONYMOUS mapping holds
 *   - entries[]: the names, each with its host offset per family (0 = none);
 *   - hash[]:    open addressing (linear probing) from a name's hash to
 *                entry index + 1, twice as many slots as entries, so a probe
 *                always ends at an empty slot;
 *   - by_off[f][]: host offset k (1..) in family f -> entry index + 1.
 * Host offsets are handed out in order 1, 2, 3, ... and never reused, so an
 * address is "network + k" and the table does not depend on the network
 * itself.  A process-shared robust mutex guards every access; the mapping is
 * MAP_NORESERVE and only touched pages cost memory.
 *
 * The mapping must exist before a process forks for parent and child to
 * share it: it is created at first use, and a pthread_atfork() prepare
 * handler (registered by a constructor) creates it before the first fork.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "common/log.h"
#include "preload/fakedns.h"
#include "preload/init.h"

#define FAKEDNS_HASH_SLOTS (2 * FAKEDNS_MAX) /* a power of two */

enum { FAM_V4 = 0, FAM_V6 = 1, FAM_N = 2 };

struct fakedns_entry {
	char name[FAKEDNS_NAME_MAX + 1];
	uint32_t off[FAM_N]; /* host offset per family, 0 = none yet */
};

struct fakedns_table {
	pthread_mutex_t lock; /* process-shared, robust */
	uint32_t nentries;
	uint32_t next[FAM_N]; /* highest host offset handed out */
	uint32_t hash[FAKEDNS_HASH_SLOTS];
	uint32_t by_off[FAM_N][FAKEDNS_MAX];
	struct fakedns_entry entries[FAKEDNS_MAX];
};

static struct fakedns_table *table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* Networks forced by fakedns_reset_for_tests(), else the config's. */
static bool nets_forced;
static struct net_cidr forced_net[FAM_N];

/*
 * Create the shared mapping and its lock.  On failure @table stays NULL
 * and every assignment fails with -ENOMEM.
 */
static void fakedns_table_create(void)
{
	struct fakedns_table *t;
	pthread_mutexattr_t attr;

	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t == MAP_FAILED)
		return;
	if (pthread_mutexattr_init(&attr) != 0) {
		munmap(t, sizeof(*t));
		return;
	}
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (pthread_mutex_init(&t->lock, &attr) != 0) {
		pthread_mutexattr_destroy(&attr);
		munmap(t, sizeof(*t));
		return;
	}
	pthread_mutexattr_destroy(&attr);
	__atomic_store_n(&table, t, __ATOMIC_RELEASE);
}

static struct fakedns_table *fakedns_table(void)
{
	int saved = errno;

	pthread_once(&table_once, fakedns_table_create);
	errno = saved;
	return __atomic_load_n(&table, __ATOMIC_ACQUIRE);
}

/* fork() prepare handler: make sure parent and child share one table. */
static void fakedns_prefork(void)
{
	fakedns_table();
}

__attribute__((constructor)) static void fakedns_ctor(void)
{
	pthread_atfork(fakedns_prefork, NULL, NULL);
}

/*
 * Lock the table.  A holder that died (another process of the tree) leaves
 * the table as it was between two of our stores; each store keeps it
 * usable, so we mark the lock consistent and go on.  Returns 0 or -errno.
 */
static int fakedns_lock(struct fakedns_table *t)
{
	int rc = pthread_mutex_lock(&t->lock);

	if (rc == EOWNERDEAD)
		rc = pthread_mutex_consistent(&t->lock);
	return -rc;
}

static void fakedns_unlock(struct fakedns_table *t)
{
	pthread_mutex_unlock(&t->lock);
}

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

/*
 * Fold @name into @out: lower case, one trailing dot removed.  Returns the
 * length, or -EINVAL for an empty, too long or non-printable name.
 */
static int fakedns_fold(const char *name, char out[FAKEDNS_NAME_MAX + 1])
{
	size_t len, i;

	if (name == NULL)
		return -EINVAL;
	len = strnlen(name, FAKEDNS_NAME_MAX + 2);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > FAKEDNS_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch <= ' ' || ch >= 0x7f)
			return -EINVAL;
		out[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 'a' - 'A' : ch);
	}
	out[len] = '\0';
	return (int)len;
}

/* FNV-1a over the folded name. */
static uint32_t fakedns_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

/*
 * Find the entry of folded @name, or the empty slot where it belongs.
 * Returns the entry index, or -1 with *@slot set to the empty hash slot.
 * Caller holds the lock.
 */
static long fakedns_find(struct fakedns_table *t, const char *name,
			 uint32_t *slot)
{
	uint32_t i = fakedns_hash(name) & (FAKEDNS_HASH_SLOTS - 1);

	for (;;) {
		uint32_t e = t->hash[i];

		if (e == 0) {
			*slot = i;
			return -1;
		}
		if (e <= FAKEDNS_MAX &&
		    strcmp(t->entries[e - 1].name, name) == 0)
			return (long)e - 1;
		i = (i + 1) & (FAKEDNS_HASH_SLOTS - 1);
	}
}

/*
 * Give entry @idx the next host offset of family @fam (caller holds the
 * lock).  Returns the offset, or 0 when the network has none left.
 */
static uint32_t fakedns_take(struct fakedns_table *t, uint32_t idx, int fam,
			     uint32_t cap)
{
	uint32_t k;

	if (t->next[fam] >= cap)
		return 0;
	k = t->next[fam] + 1;
	t->by_off[fam][k - 1] = idx + 1;
	t->entries[idx].off[fam] = k;
	t->next[fam] = k;
	return k;
}

/*
 * Look up or create the entry of folded @name and make sure it has an
 * offset in @fam.  Returns the offset (> 0), or -ENOSPC.  Caller holds
 * the lock.
 */
static long fakedns_assign_locked(struct fakedns_table *t, const char *name,
				  int fam, uint32_t cap)
{
	uint32_t slot, idx, k;
	long e = fakedns_find(t, name, &slot);

	if (e >= 0) {
		idx = (uint32_t)e;
		if (t->entries[idx].off[fam] != 0)
			return t->entries[idx].off[fam];
	} else {
		if (t->nentries >= FAKEDNS_MAX || t->next[fam] >= cap)
			return -ENOSPC;
		idx = t->nentries;
		memcpy(t->entries[idx].name, name, strlen(name) + 1);
		t->entries[idx].off[FAM_V4] = 0;
		t->entries[idx].off[FAM_V6] = 0;
		t->nentries = idx + 1;
		t->hash[slot] = idx + 1;
	}
	k = fakedns_take(t, idx, fam, cap);
	return k ? (long)k : -ENOSPC;
}

int fakedns_assign(const char *name, int family, struct net_ip *ip)
{
	char folded[FAKEDNS_NAME_MAX + 1];
	struct fakedns_table *t;
	struct net_cidr net;
	char nbuf[64];
	int fam = fakedns_fam(family), rc;
	uint32_t cap;
	long k;

	if (fam < 0 || fakedns_fold(name, folded) < 0)
		return -EINVAL;
	fakedns_net(fam, &net);
	cap = fakedns_capacity(&net, fam);
	t = fakedns_table();
	if (t == NULL)
		return -ENOMEM;
	rc = fakedns_lock(t);
	if (rc < 0)
		return rc;
	k = fakedns_assign_locked(t, folded, fam, cap);
	fakedns_unlock(t);
	if (k < 0) {
		LOG_ERR("fake network %s exhausted (%u addresses in use): "
			"cannot resolve %.64s",
			net_cidr_format(&net, nbuf, sizeof(nbuf)),
			(unsigned)cap, folded);
		return (int)k;
	}
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
	uint32_t off, e;
	size_t len;
	int fam, rc;

	ip = *in;
	net_ip_unmap(&ip);
	fam = fakedns_fam(ip.family);
	if (fam < 0)
		return -EINVAL;
	fakedns_net(fam, &net);
	if (!fakedns_in_net(&net, fam, &ip, &off))
		return -EINVAL;
	t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
	if (t == NULL || off == 0 || off > FAKEDNS_MAX)
		return -ENOENT;
	rc = fakedns_lock(t);
	if (rc < 0)
		return rc;
	rc = -ENOENT;
	if (off <= t->next[fam]) {
		e = t->by_off[fam][off - 1];
		if (e != 0 && e <= t->nentries) {
			len = strlen(t->entries[e - 1].name);
			rc = -ENAMETOOLONG;
			if (len < cap) {
				memcpy(name, t->entries[e - 1].name, len + 1);
				rc = 0;
			}
		}
	}
	fakedns_unlock(t);
	return rc;
}

int fakedns_reset_for_tests(const struct net_cidr *v4,
			    const struct net_cidr *v6)
{
	struct fakedns_table *t;
	uint32_t i;
	int fam;

	if (v4)
		forced_net[FAM_V4] = *v4;
	else
		fakedns_default_net(FAM_V4, &forced_net[FAM_V4]);
	if (v6)
		forced_net[FAM_V6] = *v6;
	else
		fakedns_default_net(FAM_V6, &forced_net[FAM_V6]);
	nets_forced = true;
	t = fakedns_table();
	if (t == NULL || fakedns_lock(t) < 0)
		return -ENOMEM;
	/* Clear only what was used: untouched pages stay unallocated. */
	for (i = 0; i < t->nentries; i++)
		memset(&t->entries[i], 0, sizeof(t->entries[i]));
	for (fam = 0; fam < FAM_N; fam++) {
		memset(t->by_off[fam], 0, t->next[fam] * sizeof(uint32_t));
		t->next[fam] = 0;
	}
	memset(t->hash, 0, sizeof(t->hash));
	t->nentries = 0;
	fakedns_unlock(t);
	return 0;
}
