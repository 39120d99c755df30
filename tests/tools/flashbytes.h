/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bytes as the libmuse servers of muse-peer (passthrough, program) keep
 * them: data patterns to write and recognise, erased flash, and the
 * inverted store (~byte) the module's backing files hold.
 */
#ifndef FLASHBYTES_H
#define FLASHBYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* @len bytes of a pattern that differs with @seed and along the buffer. */
void pattern(uint8_t *buf, size_t len, unsigned int seed);

/* Whether @len bytes are all 0xff (erased flash). */
bool all_ff(const uint8_t *buf, size_t len);

/* Flip every bit: flash bytes to the inverted store's, and back. */
void invert(uint8_t *buf, size_t len);

#endif /* FLASHBYTES_H */
