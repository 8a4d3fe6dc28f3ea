/* SPDX-License-Identifier: MIT */
/*
 * The layout of the name table shared by every socksified process of one
 * user (fakedns.c reads and writes it, fakedns_file.c finds, checks and
 * creates the file that holds it).  Internal to those two files.
 *
 * The table is one fixed-size file mapped MAP_SHARED:
 *   hdr        magic, version, size, a checksum of this layout and of the
 *              fake networks; written once at creation, checked by every
 *              process that maps the file (state turns CORRUPT when a
 *              process finds an inconsistency: the next process to open
 *              the file replaces it);
 *   lock       a process-shared robust mutex: the writers' lock;
 *   counters   high-water marks, free list, clock hands (under the lock);
 *   hash[]     open addressing (linear probing) from a name's FNV-1a hash
 *              to entry index + 1, SLOT_TOMB for a removed name;
 *   by_off[f]  host offset k (1..) in family f -> entry index + 1;
 *   entries[]  the names, each with its offsets, a last-use stamp and a
 *              sequence counter (odd while a writer changes the entry).
 * Every field a reader may see is read and written with __atomic
 * operations: readers take no lock (see fakedns.c).
 */
#ifndef SOCKSIFY_PRELOAD_FAKEDNS_TABLE_H
#define SOCKSIFY_PRELOAD_FAKEDNS_TABLE_H

#include <pthread.h>
#include <stdint.h>

#include "common/net.h"
#include "preload/fakedns.h"

#define FAKEDNS_MAGIC 0x53454d414e594653ull /* "SFYNAMES" little-endian */
#define FAKEDNS_VERSION 1u
#define FAKEDNS_SLOTS (2 * FAKEDNS_MAX) /* a power of two */
#define FAKEDNS_SLOT_TOMB UINT32_MAX
#define FAKEDNS_NAME_WORDS 32 /* 256 bytes: FAKEDNS_NAME_MAX + NUL fits */

enum { FAM_V4 = 0, FAM_V6 = 1, FAM_N = 2 };
enum { FAKEDNS_ST_READY = 1, FAKEDNS_ST_CORRUPT = 2 };

struct fakedns_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t state;	 /* FAKEDNS_ST_*, atomic; not in sum */
	uint64_t size;	 /* sizeof(struct fakedns_table) */
	uint64_t layout; /* fakedns_file_layout() */
	uint8_t net[FAM_N][16];
	uint8_t prefix[FAM_N];
	uint8_t pad[6];
	uint64_t sum; /* FNV-1a over the fields above, state as 0 */
};

struct fakedns_entry {
	uint32_t seq;	     /* odd while a writer changes the entry */
	uint32_t hash;	     /* FNV-1a of the name; 0 = free entry */
	uint32_t off[FAM_N]; /* host offset per family, 0 = none */
	int64_t used;	     /* last use, CLOCK_MONOTONIC seconds */
	uint64_t name[FAKEDNS_NAME_WORDS]; /* NUL-padded folded name */
};

struct fakedns_table {
	struct fakedns_hdr hdr;
	pthread_mutex_t lock; /* process-shared, robust */
	uint32_t nused;	      /* entries[0, nused) have been handed out once */
	uint32_t nready;      /* entries[0, nready) have their pages */
	uint32_t nlive;	      /* entries holding a name */
	uint32_t free_head;   /* index + 1 of a free entry, 0 = none */
	uint32_t ntomb;	      /* SLOT_TOMB slots in hash[] */
	uint32_t next[FAM_N]; /* highest host offset ever handed out */
	uint32_t hand[FAM_N]; /* recycling scan position per family */
	uint32_t hand_e;      /* recycling scan position over entries */
	uint32_t hash[FAKEDNS_SLOTS];
	uint32_t by_off[FAM_N][FAKEDNS_MAX];
	uint32_t free_next[FAKEDNS_MAX];
	struct fakedns_entry entries[FAKEDNS_MAX] __attribute__((aligned(64)));
};

/* Relaxed, acquire and release access to shared fields. */
#define FDNS_LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define FDNS_LDA(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define FDNS_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define FDNS_STR(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
/*
 * The full fence of the Dekker pairs (fakedns.c).  ThreadSanitizer does not
 * take fences (GCC refuses them under -fsanitize=thread): there a seq_cst
 * read-modify-write of the entry's own sequence stands in (a locked
 * instruction, also a full barrier on x86; every field is atomic, so TSan
 * checks no ordering of them anyway).
 */
#if defined(__SANITIZE_THREAD__)
#define FDNS_FENCE(e) ((void)__atomic_fetch_add(&(e)->seq, 0, __ATOMIC_SEQ_CST))
#else
#define FDNS_FENCE(e) __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/*
 * Map the table for the fake networks @nets (index FAM_V4, FAM_V6): the
 * user's shared file when it can be used (created or replaced as needed,
 * with a log line for a refused or corrupt file), else a private table
 * shared only with this process's forked children (logged).  Returns the
 * table, or NULL when not even a private one can be mapped.  Initialises
 * a new table completely (header, lock, header pages populated).  Not
 * under any lock; a few system calls (open, fstat, flock, mmap).
 */
struct fakedns_table *fakedns_file_map(const struct net_cidr nets[FAM_N]);

/* The path of the shared file last used (for log lines), or "". */
const char *fakedns_file_path(void);

/*
 * Make sure entries[0, @upto) are backed by memory (pages populated in
 * advance so that a full tmpfs gives an error here instead of SIGBUS on
 * a later store).  Caller holds the table lock.  Returns 0 or -ENOSPC.
 */
int fakedns_file_populate(struct fakedns_table *t, uint32_t upto);

/* Mark @t corrupt: processes that open the file later replace it. */
void fakedns_file_mark_corrupt(struct fakedns_table *t);

/* Tests only: keep the shared file in @dir (NULL: a private table). */
void fakedns_file_set_dir_for_tests(const char *dir);
/* Tests only: never the user's own table (a private one, unless a test
 * directory was set). */
void fakedns_file_test_mode(void);

#endif
