/* uniclass: the Unicode classes that tiktoken's pre-tokenizing regular
 * expressions tell apart, for every code point.  The tables are generated
 * (scripts/gen-unicode-classes) from the Unicode Character Database of the
 * Unicode version tiktoken's own tables have. */
#ifndef UNICLASS_H
#define UNICLASS_H
#include <stdint.h>

enum uniclass {
	UC_OTHER,	/* punctuation, symbols, controls, unassigned ... */
	UC_UPPER,	/* Lu, Lt */
	UC_LOWER,	/* Ll */
	UC_LETTER,	/* Lm, Lo: upper and lower at once to the regexes */
	UC_MARK,	/* Mn, Mc, Me: not \p{L}, but in o200k's word classes */
	UC_NUM,		/* Nd, Nl, No */
	UC_SPACE,	/* White_Space, but for "\r" and "\n" */
	UC_NEWLINE	/* "\r", "\n" */
};

extern const uint16_t	uniclass_stage1[];
extern const uint8_t	uniclass_stage2[];

/* uniclass: the class of code point cp (0 to 0x10FFFF). */
static inline enum uniclass
uniclass(uint32_t cp)
{
	return (enum uniclass)uniclass_stage2[(uint32_t)uniclass_stage1[cp >> 7]
	    * 128 + (cp & 127)];
}

#endif
