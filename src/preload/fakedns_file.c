/* SPDX-License-Identifier: MIT */
/*
 * Where the name table lives, and how a process gets at it safely
 * (layout in fakedns_table.h, contract of the table in fakedns.h).
 *
 * Place: $XDG_RUNTIME_DIR/socksify-names when that variable names an
 * absolute directory owned by the user with no access for group or others
 * (as systemd-logind makes /run/user/UID), else /dev/shm/socksify-names-UID
 * (UID = the effective uid).  Fake networks other than the defaults add
 * "-XXXXXXXX" (a hash of both networks) to the name: a table is only ever
 * shared by processes that hand out addresses from the same networks.
 * Both places are tmpfs: the table dies with the session or at reboot;
 * deleting the file clears it (running processes keep their mapping of
 * the old file; processes started afterwards make a new one).
 *
 * Opening: open(O_RDWR|O_CREAT|O_NOFOLLOW, 0600), then fstat on the
 * descriptor: a file that is not a regular file owned by the user is
 * refused (never read, never changed: in a sticky directory such as
 * /dev/shm it may be another user's) and the process falls back to a
 * private table, with a log line.  A file of ours with group/other
 * permissions or more than one link, of the wrong size, with a bad
 * header (magic, version, size, layout checksum, networks, header
 * checksum) or marked corrupt is unlinked and replaced by a new one, with
 * a log line.  An exclusive flock() (bounded wait) serialises creation
 * and replacement between processes; the descriptor is closed once the
 * file is mapped.  Growth: the entry pages are populated (MADV_POPULATE_
 * WRITE) in chunks before use, so a full tmpfs is an error at allocation
 * time, never a SIGBUS in the program.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "preload/fakedns_table.h"

/* Entries populated per step: about one megabyte. */
#define FDNS_CHUNK 4096u
/* flock() attempts, 5 ms apart: at most one second. */
#define FDNS_FLOCK_TRIES 200

enum fdns_mode { FDNS_PRODUCTION, FDNS_TEST_PRIVATE, FDNS_TEST_DIR };

static char runtime_dir[PATH_MAX]; /* $XDG_RUNTIME_DIR at load time */
static enum fdns_mode mode = FDNS_PRODUCTION;
static char test_dir[PATH_MAX];
static char table_path[PATH_MAX + 64];

/* The environment is read here, at load time, never in a hook. */
__attribute__((constructor)) static void fakedns_file_ctor(void)
{
	const char *d = secure_getenv("XDG_RUNTIME_DIR");

	if (d && d[0] == '/' && strlen(d) < sizeof(runtime_dir))
		memcpy(runtime_dir, d, strlen(d) + 1);
}

const char *fakedns_file_path(void)
{
	return table_path;
}

static uint64_t fdns_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		h ^= *b++;
		h *= 1099511628211ull;
	}
	return h;
}

/* A checksum of the layout: a build with another layout never reads it. */
static uint64_t fdns_layout(void)
{
	const uint64_t v[] = {
		sizeof(struct fakedns_table),
		sizeof(struct fakedns_entry),
		sizeof(pthread_mutex_t),
		offsetof(struct fakedns_table, lock),
		offsetof(struct fakedns_table, hash),
		offsetof(struct fakedns_table, by_off),
		offsetof(struct fakedns_table, free_next),
		offsetof(struct fakedns_table, entries),
		offsetof(struct fakedns_entry, name),
		FAKEDNS_MAX,
		FAKEDNS_SLOTS,
		FAKEDNS_NAME_MAX,
	};

	return fdns_fnv(14695981039346656037ull, v, sizeof(v));
}

static uint64_t fdns_hdr_sum(const struct fakedns_hdr *h)
{
	struct fakedns_hdr c = *h;

	c.state = 0;
	c.sum = 0;
	return fdns_fnv(14695981039346656037ull, &c, sizeof(c));
}

static void fdns_hdr_fill(struct fakedns_hdr *h,
			  const struct net_cidr nets[FAM_N])
{
	int f;

	memset(h, 0, sizeof(*h));
	h->magic = FAKEDNS_MAGIC;
	h->version = FAKEDNS_VERSION;
	h->size = sizeof(struct fakedns_table);
	h->layout = fdns_layout();
	for (f = 0; f < FAM_N; f++) {
		memcpy(h->net[f], nets[f].ip.b, 16);
		h->prefix[f] = (uint8_t)nets[f].prefix;
	}
	h->sum = fdns_hdr_sum(h);
}

/* Why the mapped header @h cannot be used, or NULL when it can. */
static const char *fdns_hdr_check(const struct fakedns_hdr *h,
				  const struct net_cidr nets[FAM_N])
{
	struct fakedns_hdr want;

	fdns_hdr_fill(&want, nets);
	if (h->magic != FAKEDNS_MAGIC)
		return "bad magic number";
	if (h->version != FAKEDNS_VERSION)
		return "another format version";
	if (h->size != want.size || h->layout != want.layout)
		return "another layout";
	if (fdns_hdr_sum(h) != h->sum)
		return "bad header checksum";
	if (memcmp(h->net, want.net, sizeof(want.net)) != 0 ||
	    memcmp(h->prefix, want.prefix, sizeof(want.prefix)) != 0)
		return "other fake networks";
	if (FDNS_LDA(((struct fakedns_hdr *)h)->state) != FAKEDNS_ST_READY)
		return "marked corrupt by a process that used it";
	return NULL;
}

/* Are @nets the built-in defaults (conf.h)? */
static bool fdns_default_nets(const struct net_cidr nets[FAM_N])
{
	static const uint8_t v4[16] = {198, 18};
	static const uint8_t v6[16] = {0xfd, 0x53, 0x6f, 0x63, 0x6b, 0x73};

	return nets[FAM_V4].prefix == 15 && nets[FAM_V6].prefix == 64 &&
	       memcmp(nets[FAM_V4].ip.b, v4, 4) == 0 &&
	       memcmp(nets[FAM_V6].ip.b, v6, 16) == 0;
}

/* Is @dir a directory of ours that nobody else can enter? */
static bool fdns_private_dir(const char *dir)
{
	struct stat st;

	return dir[0] == '/' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == geteuid() && (st.st_mode & 077) == 0;
}

/* The table's path for @nets into table_path; false: no file (private). */
static bool fdns_make_path(const struct net_cidr nets[FAM_N])
{
	char suffix[16] = "";
	uint64_t h;
	int f, n;

	if (mode == FDNS_TEST_PRIVATE)
		return false;
	if (!fdns_default_nets(nets)) {
		h = 14695981039346656037ull;
		for (f = 0; f < FAM_N; f++) {
			h = fdns_fnv(h, nets[f].ip.b, 16);
			h = fdns_fnv(h, &nets[f].prefix,
				     sizeof(nets[f].prefix));
		}
		snprintf(suffix, sizeof(suffix), "-%08x",
			 (unsigned)(h ^ (h >> 32)));
	}
	if (mode == FDNS_TEST_DIR)
		n = snprintf(table_path, sizeof(table_path),
			     "%s/socksify-names%s", test_dir, suffix);
	else if (runtime_dir[0] && fdns_private_dir(runtime_dir))
		n = snprintf(table_path, sizeof(table_path),
			     "%s/socksify-names%s", runtime_dir, suffix);
	else
		n = snprintf(table_path, sizeof(table_path),
			     "/dev/shm/socksify-names-%u%s",
			     (unsigned)geteuid(), suffix);
	return n > 0 && (size_t)n < sizeof(table_path);
}

/* Take @fd's flock within about a second.  0 or -errno. */
static int fdns_flock(int fd)
{
	struct timespec ts = {0, 5000000};
	int i;

	for (i = 0; i < FDNS_FLOCK_TRIES; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* Populate [@from, @to) of @t's mapping.  0 or -ENOSPC. */
static int fdns_populate_range(struct fakedns_table *t, size_t from, size_t to)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)t + from, b = (uintptr_t)t + to;

	if (pg <= 0)
		pg = 4096;
	a &= ~(uintptr_t)(pg - 1);
	if (madvise((void *)a, b - a, MADV_POPULATE_WRITE) == 0)
		return 0;
	/* EINVAL: a kernel before 5.14; the pages come on first store */
	return errno == EINVAL ? 0 : -ENOSPC;
}

int fakedns_file_populate(struct fakedns_table *t, uint32_t upto)
{
	uint32_t ready = FDNS_LD(t->nready), to;

	if (ready > FAKEDNS_MAX)
		ready = 0;
	if (upto <= ready)
		return 0;
	to = (upto + FDNS_CHUNK - 1) / FDNS_CHUNK * FDNS_CHUNK;
	if (to > FAKEDNS_MAX)
		to = FAKEDNS_MAX;
	if (fdns_populate_range(
		    t, offsetof(struct fakedns_table, entries[ready]),
		    offsetof(struct fakedns_table, entries[to])) < 0)
		return -ENOSPC;
	FDNS_ST(t->nready, to);
	return 0;
}

/*
 * Initialise the new (zero-filled) table @t: header pages, lock, header.
 * The header is written last, state READY with release order.  0 or
 * -errno.
 */
static int fdns_init(struct fakedns_table *t, const struct net_cidr nets[FAM_N])
{
	pthread_mutexattr_t attr;
	struct fakedns_hdr h;
	int rc;

	rc = fdns_populate_range(t, 0, offsetof(struct fakedns_table, entries));
	if (rc < 0)
		return rc;
	if (pthread_mutexattr_init(&attr) != 0)
		return -ENOMEM;
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	rc = pthread_mutex_init(&t->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc != 0)
		return -rc;
	fdns_hdr_fill(&h, nets);
	h.state = 0;
	memcpy(&t->hdr, &h, sizeof(h));
	FDNS_STR(t->hdr.state, (uint32_t)FAKEDNS_ST_READY);
	return 0;
}

/* A private table, shared only with children forked later.  Or NULL. */
static struct fakedns_table *fdns_private(const struct net_cidr nets[FAM_N])
{
	struct fakedns_table *t;

	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	if (fdns_init(t, nets) < 0) {
		munmap(t, sizeof(*t));
		return NULL;
	}
	return t;
}

enum fdns_step { FDNS_OK, FDNS_RETRY, FDNS_REFUSE };

/*
 * One attempt on the opened, flock()ed @fd: use, create or condemn.
 * *@out gets the mapping on FDNS_OK; FDNS_RETRY after unlinking a bad
 * file (logged) or when the file was replaced meanwhile.
 */
static enum fdns_step fdns_try(int fd, const struct net_cidr nets[FAM_N],
			       struct fakedns_table **out)
{
	struct fakedns_table *t;
	const char *why = NULL;
	struct stat st;

	if (fstat(fd, &st) != 0)
		return FDNS_REFUSE;
	if (st.st_nlink == 0)
		return FDNS_RETRY; /* replaced by another process meanwhile */
	if ((st.st_mode & 077) != 0 || st.st_nlink != 1)
		why = "permissions other than 0600 or more than one link";
	else if (st.st_size != 0 && (uint64_t)st.st_size != sizeof(*t))
		why = "truncated or of the wrong size";
	if (!why && st.st_size == 0 && ftruncate(fd, sizeof(*t)) != 0)
		return FDNS_REFUSE;
	if (!why) {
		t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, fd, 0);
		if (t == MAP_FAILED)
			return FDNS_REFUSE;
		if (st.st_size == 0) {
			if (fdns_init(t, nets) == 0) {
				*out = t;
				return FDNS_OK;
			}
			munmap(t, sizeof(*t));
			why = "cannot be initialised (no space?)";
		} else {
			why = fdns_hdr_check(&t->hdr, nets);
			if (!why) {
				*out = t;
				return FDNS_OK;
			}
			munmap(t, sizeof(*t));
		}
	}
	LOG_ERR("the name table %s is unusable (%s): replaced with an empty "
		"one",
		table_path, why);
	if (unlink(table_path) != 0)
		return FDNS_REFUSE;
	return FDNS_RETRY;
}

/* The shared file's table, or NULL (logged). */
static struct fakedns_table *fdns_shared(const struct net_cidr nets[FAM_N])
{
	struct fakedns_table *t = NULL;
	enum fdns_step step = FDNS_REFUSE;
	struct stat st;
	int fd, rc, tries;

	for (tries = 0; tries < 3; tries++) {
		fd = open(table_path,
			  O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			  0600);
		if (fd < 0) {
			LOG_ERR("cannot open the name table %s (%s): fake "
				"addresses are shared only with this "
				"program's own children",
				table_path, strerrordesc_np(errno));
			return NULL;
		}
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid()) {
			LOG_ERR("refusing the name table %s: not a regular "
				"file owned by uid %u (owner %u); fake "
				"addresses are shared only with this "
				"program's own children",
				table_path, (unsigned)geteuid(),
				(unsigned)st.st_uid);
			close(fd);
			return NULL;
		}
		rc = fdns_flock(fd);
		if (rc < 0) {
			LOG_ERR("cannot lock the name table %s (%s): fake "
				"addresses are shared only with this "
				"program's own children",
				table_path, strerrordesc_np(-rc));
			close(fd);
			return NULL;
		}
		step = fdns_try(fd, nets, &t);
		/* explicitly: the mapping keeps the open file description,
		 * and with it a flock, alive after close() */
		flock(fd, LOCK_UN);
		close(fd);
		if (step != FDNS_RETRY)
			break;
	}
	if (step == FDNS_OK) {
		LOG_DBG("name table: %s", table_path);
		return t;
	}
	LOG_ERR("cannot use the name table %s: fake addresses are shared only "
		"with this program's own children",
		table_path);
	return NULL;
}

struct fakedns_table *fakedns_file_map(const struct net_cidr nets[FAM_N])
{
	struct fakedns_table *t = NULL;

	table_path[0] = '\0';
	if (fdns_make_path(nets))
		t = fdns_shared(nets);
	else
		table_path[0] = '\0';
	if (t == NULL)
		t = fdns_private(nets);
	return t;
}

void fakedns_file_mark_corrupt(struct fakedns_table *t)
{
	FDNS_STR(t->hdr.state, (uint32_t)FAKEDNS_ST_CORRUPT);
}

void fakedns_file_set_dir_for_tests(const char *dir)
{
	if (dir == NULL) {
		mode = FDNS_TEST_PRIVATE;
		return;
	}
	snprintf(test_dir, sizeof(test_dir), "%s", dir);
	mode = FDNS_TEST_DIR;
}

void fakedns_file_test_mode(void)
{
	if (mode == FDNS_PRODUCTION)
		mode = FDNS_TEST_PRIVATE;
}
