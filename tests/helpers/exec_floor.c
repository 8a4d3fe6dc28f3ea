// SPDX-License-Identifier: MIT
/*
 * exec_floor PROGRAM [ARGS...]: execve(PROGRAM, ARGS) and nothing else.
 *
 * The floor for part (c) of scripts/bench.d/client.sh: what one more exec
 * costs on this machine when the program in between does no work at all
 * (static, no libc, no dynamic loader, no relocations, one page of code).
 * `exec_floor /usr/bin/true` minus `true` is the least any wrapper that
 * execs the program can add; the socksify wrapper is compared with it.
 * PROGRAM is not looked up in PATH.  Exit status 127 if execve fails.
 */
#if defined(__x86_64__)
/* The kernel starts us with argc at (%rsp), argv after it, then envp. */
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov (%rsp), %rdi\n"	     /* argc */
	"	lea 16(%rsp), %rsi\n"	     /* argv + 1 */
	"	lea 16(%rsp,%rdi,8), %rdx\n" /* envp = argv + argc + 1 */
	"	mov (%rsi), %rdi\n"	     /* argv[1] (NULL if argc == 1) */
	"	test %rdi, %rdi\n"
	"	jz 1f\n"
	"	mov $59, %eax\n" /* execve(argv[1], argv + 1, envp) */
	"	syscall\n"
	"1:	mov $127, %edi\n"
	"	mov $231, %eax\n" /* exit_group(127) */
	"	syscall\n"
	"	hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	ldr x3, [sp]\n"		  /* argc */
	"	add x1, sp, #16\n"	  /* argv + 1 */
	"	add x2, x1, x3, lsl #3\n" /* envp = argv + 1 + argc */
	"	ldr x0, [x1]\n"
	"	cbz x0, 1f\n"
	"	mov x8, #221\n" /* execve */
	"	svc #0\n"
	"1:	mov x0, #127\n"
	"	mov x8, #94\n" /* exit_group */
	"	svc #0\n");
#else
#error "exec_floor: no _start for this architecture"
#endif
