// SPDX-License-Identifier: MIT
/*
 * The real libc symbols, bound once with dlsym(RTLD_NEXT).
 *
 * A hook that runs before real_init() finished on the same thread (dlsym
 * itself may call into libc) sees NULL pointers; socksify_guard tells hooks
 * to pass such calls through (see init.h / preload.h).  A symbol that
 * resolves to our own definition would loop forever: that is a broken
 * link order (the library linked into the program instead of preloaded)
 * and is reported and treated as missing.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/preload.h"
#include "preload/real.h"

struct real_syms real;
bool real_broken;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

/* Raw stderr write for the few messages possible before logging exists. */
static void real_complain(const char *what, const char *name)
{
	char buf[160];
	size_t n = 0;
	const char *parts[] = {"socksify: ", what, " ", name, "\n"};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t l = strlen(parts[i]);

		if (n + l >= sizeof(buf))
			break;
		memcpy(buf + n, parts[i], l);
		n += l;
	}
	(void)!syscall(SYS_write, 2, buf, n);
}

/* Our own object's extent, from the linker (hidden: they bind here). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

/*
 * True if @p lies in our own object: RTLD_NEXT found our definition again
 * (we are not where a preloaded library should be in the search order).
 * A range check, not dladdr(): dladdr scans the whole symbol table of the
 * object it finds, and doing that for every bound symbol cost ~1 ms of
 * every socksified program's start-up.
 */
static bool real_is_self(const void *p)
{
	const char *c = p;

	return c >= __ehdr_start && c < _end;
}

static void real_bind(void)
{
	socksify_guard++;
#define REAL_BIND(req, ret, name, params)                                \
	do {                                                             \
		void *p = dlsym(RTLD_NEXT, #name);                       \
		if (p && real_is_self(p)) {                              \
			real_complain("circular symbol lookup:", #name); \
			p = NULL;                                        \
		}                                                        \
		if (!p && (req)) {                                       \
			real_complain("missing libc symbol", #name);     \
			real_broken = true;                              \
		}                                                        \
		real.name = (ret(*) params)p;                            \
	} while (0);
	REAL_SYMS(REAL_BIND)
#undef REAL_BIND
	socksify_guard--;
}

void real_init(void)
{
	pthread_once(&real_once, real_bind);
}
