/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash --nand-id: the READ ID bytes of a NAND chip, as nandsim takes
 * them (first_id_byte=0xec second_id_byte=0xd3 ...), decoded into a
 * geometry the way the kernel's raw NAND core does for a generic chip.
 */
#ifndef RAMFLASH_NAND_ID_H
#define RAMFLASH_NAND_ID_H

#include <stddef.h>
#include <stdint.h>

#include "geometry.h"

/* The kernel reads eight ID bytes; nandsim answers 0xff for those unset. */
#define RF_NAND_ID_BYTES	8

/**
 * rf_nand_id_parse() - parse "0xec,0xd3,0x51,0x95" (2 to 8 bytes, hex
 * with 0x or decimal) into the ID the chip answers.
 * @text:	the bytes, comma-separated.
 * @id:		receives RF_NAND_ID_BYTES bytes, those not given 0xff as
 *		nandsim's defaults.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0 or -EINVAL.
 */
int rf_nand_id_parse(const char *text, uint8_t id[RF_NAND_ID_BYTES],
		     char *err, size_t errlen);

/**
 * rf_nand_id_decode() - the geometry nandsim registers for @id.
 * @id:		the ID bytes.
 * @geo:	receives the geometry: type (SLC or MLC from the cell bits of
 *		byte 3), size, page, eraseblock and OOB sizes, and nandsim's
 *		default ECC (software Hamming, 1 bit per 256 bytes) with the
 *		free OOB bytes its layout leaves; subpage_size 0, so that
 *		rf_geometry_complete() derives it as the kernel does.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * The device ID (byte 2) is looked up in a table of the kernel's generic
 * chips: small-page chips have their page and eraseblock sizes there,
 * large-page chips take them from the 4th byte (the "extended ID").
 *
 * Return: 0, or -EINVAL for a device ID not in the table.
 */
int rf_nand_id_decode(const uint8_t id[RF_NAND_ID_BYTES],
		      struct rf_geometry *geo, char *err, size_t errlen);

#endif /* RAMFLASH_NAND_ID_H */
