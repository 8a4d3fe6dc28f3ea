# Sort the ThreadSanitizer reports in a log (tests/tsan/stress_tsan.sh).
# Expected: a race on a file descriptor (TSan models each fd as a memory
# location) where one side is the stress program's own deliberate bug,
# dup2/dup3 onto a number another thread uses (op_dup calling the dup hook
# that made the syscall).  Every other report is printed whole.  The last
# line says "expected=N unexpected=M".
/^WARNING: ThreadSanitizer/ {
	inrep = 1; blk = ""; fdloc = 0; dupside = 0; prev = ""
}
inrep {
	blk = blk $0 "\n"
	if ($0 ~ /Location is file descriptor/)
		fdloc = 1
	if (prev ~ /#1 dup[23] .*src\/preload\// && $0 ~ /#2 op_dup /)
		dupside = 1
	prev = $0
}
/^SUMMARY: ThreadSanitizer/ && inrep {
	inrep = 0
	if (fdloc && dupside) {
		expected++
	} else {
		unexpected++
		printf "%s", blk
	}
}
END { printf "expected=%d unexpected=%d\n", expected, unexpected }
