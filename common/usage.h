/* usage: the parts of -h, -V, --help and --version that every tool shares,
 * so that each tool's help is one static string and the long forms behave
 * the same everywhere (as in curl, jq and coreutils).
 *
 * A tool's help text is its synopsis (lines beginning "usage: NAME"), a
 * blank line, then one line per option ("  -k key-field  what it does"),
 * the same options as its man page's SYNOPSIS and option list. */
#ifndef USAGE_H
#define USAGE_H

/* usage_long_options: call first in main(), before getopt.  Looks at
 * argv[1..] up to "--" for "--help" (usage_help) and "--version"
 * (usage_version), skipping the value of each option that optstring
 * (getopt's) says takes one, so `-t --help` is -t's value.  Any other
 * argument that begins with "--" is a usage error: reported as
 * "prog: --ARG: no such option", the synopsis on stderr, exit 2.  Returns
 * when none of these is there; argv is not changed. */
void	usage_long_options(int argc, char *argv[], const char *optstring,
	    const char *help);

/* usage_help: writes help to stdout and exits 0, or 1 after reporting a
 * write error. */
void	usage_help(const char *help) __attribute__((noreturn));

/* usage_version: writes "NAME batchpipe VERSION" (NAME the program's,
 * VERSION the Makefile's) to stdout and exits as usage_help does. */
void	usage_version(void) __attribute__((noreturn));

/* usage_error: writes the synopsis of help (the lines before its first
 * blank line) to stderr and exits 2.  The caller has said what is wrong. */
void	usage_error(const char *help) __attribute__((noreturn));

#endif
