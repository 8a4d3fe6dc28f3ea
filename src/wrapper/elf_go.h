/* SPDX-License-Identifier: MIT */
/*
 * Is an ELF file a Go program?  Go's linker marks every ELF it writes,
 * static or dynamic, with a note of owner "Go" (.note.go.buildid, in a
 * PT_NOTE segment, which strip keeps) and a .go.buildinfo section (the
 * module build information `go version -m` reads).  A Go program makes its
 * own system calls (and, with its pure-Go resolver, its own DNS queries),
 * so a preloaded library cannot hold it even when it is dynamically linked.
 */
#ifndef SOCKSIFY_WRAPPER_ELF_GO_H
#define SOCKSIFY_WRAPPER_ELF_GO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True if the ELF file open on @fd (of this machine's class, its header
 * already checked by the caller; @head holds its first @hlen bytes)
 * carries the Go build-ID note or a .go.buildinfo or .note.go.buildid
 * section.  Bounded reads with pread; any read or format error answers
 * false (the caller's other checks still apply).  Not thread-safe (static
 * buffers: the wrapper is single-threaded).
 */
bool elf_is_go(int fd, const unsigned char *head, size_t hlen);

#endif
