/* SPDX-License-Identifier: MIT */
/*
 * The user database for RFC 1929: users from -u USER:PASS, from a users
 * file (lines "user:hash", hashes from `openssl passwd -6`, checked with
 * crypt(3)) and from the config file.  Checking is constant-time in the
 * password and does the same work for unknown users.
 */
#ifndef SOCKSIFY_SERVER_AUTH_H
#define SOCKSIFY_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct auth_user {
	char *name;
	char *secret; /* plain password, or a crypt(3) hash */
	bool hashed;
};

struct auth_db {
	struct auth_user *users;
	size_t n, cap;
	bool any_hashed;
};

/*
 * Add a user (copies the strings).  A later entry for the same name
 * replaces the earlier one.  Returns 0, -EINVAL (bad name or hash) or
 * -ENOMEM.
 */
int auth_db_add(struct auth_db *db, const char *name, const char *secret,
		bool hashed);
/* Parse "user:password" (the first ':' splits) and add it. */
int auth_db_add_userpass(struct auth_db *db, const char *arg);
/*
 * Load a users file: one "user:hash" per line, '#' comments and blank
 * lines ignored.  On error returns -1 with "FILE:LINE: why" in @err.
 */
int auth_db_load_file(struct auth_db *db, const char *path, char *err,
		      size_t errlen);
/* Same for a text already in memory (@name in messages). */
int auth_db_load_text(struct auth_db *db, const char *text, const char *name,
		      char *err, size_t errlen);
/* True if @hash is a crypt(3) hash this system can check. */
bool auth_hash_is_valid(const char *hash);
void auth_db_free(struct auth_db *db);

/*
 * Check @user/@pass.  Slow when hashes are involved (crypt): call it off
 * the event loop.  Thread-safe (crypt_r with per-thread data).  The
 * fields come from the wire with their lengths: a NUL byte inside either
 * never matches.
 */
bool auth_verify(const struct auth_db *db, const char *user, size_t ulen,
		 const char *pass, size_t plen);

/* Compare @a (alen) and @b (blen) in time independent of content. */
bool auth_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
