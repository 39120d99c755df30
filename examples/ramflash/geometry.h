/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash geometry: the kinds of flash, their sizes and the OOB layout.
 * Pure functions of a struct rf_geometry; nothing here knows about the
 * simulator's state or its store.
 */
#ifndef RAMFLASH_GEOMETRY_H
#define RAMFLASH_GEOMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <muse/muse_kernel.h>

enum rf_type {
	RF_TYPE_NAND,		/* SLC NAND */
	RF_TYPE_MLC_NAND,	/* MLC NAND */
	RF_TYPE_NOR,		/* NOR: bit-writeable at any byte */
	RF_TYPE_RAM,		/* RAM: plain overwrite, erase optional */
};

/* rf_geometry.oob_avail: derive it from the OOB and ECC sizes. */
#define RF_GEO_DEFAULT	UINT32_MAX

/* Bytes of the NAND bad-block marker at the start of a page's OOB. */
#define RF_BAD_BLOCK_MARKER_BYTES	MUSE_OOB_BBM_BYTES

/*
 * Zero page_size, erase_size, writebuf_size, subpage_size and ecc_step get
 * the type's defaults in rf_geometry_complete(); a NAND subpage_size the
 * kernel's for the page and ECC (an SLC 2 KiB page with 512-byte steps:
 * 512).
 */
struct rf_geometry {
	enum rf_type type;
	uint64_t size;		/* bytes, multiple of erase_size */
	uint32_t page_size;	/* minimal write unit (1 for NOR/RAM) */
	uint32_t erase_size;	/* eraseblock bytes */
	uint32_t writebuf_size;	/* largest atomic write; multiple of page */
	uint32_t oob_size;	/* OOB bytes per page (NAND only) */
	uint32_t oob_avail;	/* free OOB bytes (AUTO mode), see
				 * rf_oob_free_offset(); RF_GEO_DEFAULT: what
				 * the marker and the ECC bytes leave */
	uint32_t subpage_size;	/* NAND program unit; == page_size: none */
	uint32_t ecc_strength;	/* correctable bits per ECC step, 0: no ECC */
	uint32_t ecc_step;	/* bytes per ECC step */
	uint32_t bitflip_threshold; /* 0: kernel default */
};

/**
 * rf_errorf() - format a one-line error message into @err.
 * @err:	the buffer.
 * @errlen:	its size.
 * @fmt:	printf format.
 *
 * Return: -EINVAL, so that callers can return rf_errorf(...).
 */
int rf_errorf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * rf_geometry_complete() - fill defaults and validate a geometry.
 * @geo:	the geometry; zero fields get the type's defaults.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0, or -EINVAL with @err set.
 */
int rf_geometry_complete(struct rf_geometry *geo, char *err, size_t errlen);

/**
 * rf_oob_free_offset() - where the free OOB bytes start in a page's OOB.
 * @geo: the geometry.
 *
 * The layout is the kernel module's: a bad-block marker of up to two bytes
 * at offset 0, then the oob_avail free bytes, then the ECC bytes.  When
 * fewer than two bytes are left over, the marker shrinks.
 *
 * Return: the offset of the first free byte.
 */
uint32_t rf_oob_free_offset(const struct rf_geometry *geo);

/* rf_type_is_nand() - whether @type has pages, OOB and bad blocks. */
bool rf_type_is_nand(enum rf_type type);

/* rf_type_name() - the --type spelling of @type. */
const char *rf_type_name(enum rf_type type);

#endif /* RAMFLASH_GEOMETRY_H */
