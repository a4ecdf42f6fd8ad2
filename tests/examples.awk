# awk -f tests/examples.awk man/PAGE.1 (or README.md): the page's examples
# as one shell script, run top to bottom in one shell as a reader pasting
# them would.  A man page's examples are the .Bd -literal blocks of its
# EXAMPLES section; the README's are its fenced and indented code blocks.
#
# The line before a block may mark it (a roff comment in a man page, an
# HTML comment in the README, so readers never see it):
#   .\" example: skip REASON      not run: REASON says why (a real key...)
#   .\" example: exit N           run; its last command must exit N
# In a block, a line starting "$ " is a command and the lines after it,
# up to the next "$ ", are its output, which is not run.
#
# The script fails at the first command that fails, in a pipe too
# (pipefail), except in a block that pipes into head(1): the commands
# before it may be stopped by SIGPIPE, as in any shell.
#
# Each block is preceded by `example N LINE` on fd 3, so a failure names
# its block; a skipped block prints `skip N LINE REASON` there instead.

function flush_block(   i, st, headed) {
	nblock++
	if (mark ~ /^skip/) {
		sub(/^skip[ \t]*/, "", mark)
		printf "echo 'skip %d %d %s' >&3\n", nblock, start, mark
	} else {
		printf "echo 'example %d %d' >&3\n", nblock, start
		st = 0
		if (mark ~ /^exit [0-9]+$/) {
			st = mark
			sub(/^exit /, "", st)
			print "set +e"
		}
		for (i = 1; i <= n; i++)
			if (lines[i] ~ /\| *head([ \t]|$)/)
				headed = 1
		if (headed)
			print "set +o pipefail"
		for (i = 1; i <= n; i++)
			print lines[i]
		if (headed)
			print "set -o pipefail"
		if (st != 0) {
			print "st=$?; set -e"
			printf "[ \"$st\" -eq %d ] || { echo \"exit $st, expected %d\" >&3; exit 1; }\n", st, st
		}
	}
	n = 0
	mark = ""
}

# A man page line of a literal block, mdoc escapes undone.
function unroff(s) {
	gsub(/\\&/, "", s)
	gsub(/\\-/, "-", s)
	gsub(/\\e/, "\\", s)
	return s
}

# Keeps a block line, honouring the "$ " convention.
function keep(s) {
	if (prompted == 0 && s ~ /^\$ /)
		prompted = 1
	if (prompted) {
		if (s !~ /^\$ /)
			return
		s = substr(s, 3)
	}
	lines[++n] = s
}

BEGIN {
	readme = ARGV[1] ~ /\.md$/
	print "set -e -o pipefail"
}

# Man pages.
!readme && /^\.Sh / {
	section = $2
	next
}
!readme && section == "EXAMPLES" && /^\.\\" example: / {
	mark = $0
	sub(/^\.\\" example: /, "", mark)
	next
}
!readme && section == "EXAMPLES" && /^\.Bd -literal/ {
	inblock = 1
	start = NR
	prompted = 0
	next
}
!readme && inblock && /^\.Ed/ {
	inblock = 0
	flush_block()
	next
}
!readme && inblock {
	keep(unroff($0))
	next
}

# The README: fenced blocks, and indented blocks after a blank line.
readme && /^<!-- example: .* -->$/ {
	mark = $0
	sub(/^<!-- example: /, "", mark)
	sub(/ -->$/, "", mark)
	next
}
readme && fenced && /^```/ {
	fenced = 0
	flush_block()
	next
}
readme && fenced {
	keep($0)
	next
}
readme && /^```/ {
	fenced = 1
	start = NR
	prompted = 0
	next
}
readme && indented && /^    / {
	keep(substr($0, 5))
	next
}
readme && indented {
	indented = 0
	flush_block()
}
readme && /^    / && blank {
	indented = 1
	start = NR
	prompted = 0
	keep(substr($0, 5))
	next
}
readme {
	blank = ($0 == "")
}

END {
	if (indented)
		flush_block()
	print "echo 'end' >&3"
}
