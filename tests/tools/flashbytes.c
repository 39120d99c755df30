// SPDX-License-Identifier: LGPL-2.1-or-later
/* Byte patterns and the inverted store, see flashbytes.h. */
#include "flashbytes.h"

void pattern(uint8_t *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 11));
}

bool all_ff(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != 0xff)
			return false;
	return true;
}

void invert(uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)~buf[i];
}
