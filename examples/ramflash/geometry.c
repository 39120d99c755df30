// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash geometry: defaults, validation and the OOB layout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "geometry.h"

bool rf_type_is_nand(enum rf_type type)
{
	return type == RF_TYPE_NAND || type == RF_TYPE_MLC_NAND;
}

const char *rf_type_name(enum rf_type type)
{
	switch (type) {
	case RF_TYPE_NAND:
		return "nand";
	case RF_TYPE_MLC_NAND:
		return "mlc-nand";
	case RF_TYPE_NOR:
		return "nor";
	case RF_TYPE_RAM:
		return "ram";
	}
	return "unknown";
}

static bool rf_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/*
 * OOB bytes a BCH code of @strength bits over @step bytes needs, the
 * usual Linux layout cost: m = bits to index the codeword, m * t bits.
 */
static uint32_t rf_bch_bytes(uint32_t step, uint32_t strength)
{
	uint32_t m = 1;

	while ((1ULL << m) <= (uint64_t)step * 8)
		m++;
	return (m * strength + 7) / 8;
}

int rf_errorf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * The subpage of a NAND chip that does not say, as the kernel derives it
 * (nand_scan_tail()): SLC with ECC programs a quarter page when a page
 * has 4 to 16 ECC steps, half a page with 2; MLC, chips without ECC and
 * other step counts program whole pages.
 */
static uint32_t rf_default_subpage(const struct rf_geometry *geo)
{
	uint32_t steps;

	if (geo->type != RF_TYPE_NAND || !geo->ecc_strength ||
	    geo->page_size % geo->ecc_step)
		return geo->page_size;
	steps = geo->page_size / geo->ecc_step;
	if (steps == 2)
		return geo->page_size / 2;
	if (steps == 4 || steps == 8 || steps == 16)
		return geo->page_size / 4;
	return geo->page_size;
}

static int rf_nand_geometry_complete(struct rf_geometry *geo, char *err,
				     size_t errlen)
{
	uint32_t ecc_bytes, reserved;

	if (!geo->page_size)
		geo->page_size = 2048;
	if (!geo->erase_size)
		geo->erase_size = 64 * geo->page_size;
	if (!geo->ecc_step)
		geo->ecc_step = 512;
	if (!geo->subpage_size)
		geo->subpage_size = rf_default_subpage(geo);
	if (!rf_is_pow2(geo->page_size) || geo->page_size < 256)
		return rf_errorf(err, errlen, "NAND page size %" PRIu32
				    " is not a power of two >= 256",
				    geo->page_size);
	if (geo->subpage_size > geo->page_size ||
	    !rf_is_pow2(geo->page_size / geo->subpage_size) ||
	    geo->page_size % geo->subpage_size)
		return rf_errorf(err, errlen, "subpage size %" PRIu32
				    " must be the page size divided by a power of two",
				    geo->subpage_size);
	if (geo->ecc_strength && geo->page_size % geo->ecc_step)
		return rf_errorf(err, errlen, "ECC step %" PRIu32
				    " does not divide the page size %" PRIu32,
				    geo->ecc_step, geo->page_size);
	if (geo->ecc_strength > geo->ecc_step * 8)
		return rf_errorf(err, errlen, "ECC strength %" PRIu32
				    " exceeds the bits of a step", geo->ecc_strength);
	if (geo->oob_avail == RF_GEO_DEFAULT) {
		ecc_bytes = geo->ecc_strength ?
			    geo->page_size / geo->ecc_step *
			    rf_bch_bytes(geo->ecc_step, geo->ecc_strength) : 0;
		reserved = RF_BAD_BLOCK_MARKER_BYTES + ecc_bytes;
		geo->oob_avail = geo->oob_size > reserved ?
				 geo->oob_size - reserved : 0;
	}
	return 0;
}

int rf_geometry_complete(struct rf_geometry *geo, char *err, size_t errlen)
{
	bool nand = rf_type_is_nand(geo->type);
	int ret;

	if (geo->type != RF_TYPE_NAND && geo->type != RF_TYPE_MLC_NAND &&
	    geo->type != RF_TYPE_NOR && geo->type != RF_TYPE_RAM)
		return rf_errorf(err, errlen, "unknown flash type %d",
				    (int)geo->type);
	if (nand) {
		ret = rf_nand_geometry_complete(geo, err, errlen);
		if (ret)
			return ret;
	} else {
		if (geo->oob_size || (geo->oob_avail && geo->oob_avail !=
				      RF_GEO_DEFAULT))
			return rf_errorf(err, errlen, "%s flash has no OOB",
					    rf_type_name(geo->type));
		if (geo->ecc_strength)
			return rf_errorf(err, errlen, "%s flash has no ECC",
					    rf_type_name(geo->type));
		geo->oob_avail = 0;
		if (!geo->page_size)
			geo->page_size = 1;
		if (!geo->erase_size)
			geo->erase_size = geo->type == RF_TYPE_NOR ?
					  64 * 1024 : 128 * 1024;
		if (!geo->subpage_size)
			geo->subpage_size = geo->page_size;
		if (geo->subpage_size != geo->page_size)
			return rf_errorf(err, errlen, "%s flash has no subpages",
					    rf_type_name(geo->type));
	}
	if (!geo->writebuf_size)
		geo->writebuf_size = nand ? geo->page_size :
				     geo->type == RF_TYPE_NOR ? 512 : 64;
	if (!geo->size)
		geo->size = 32ULL << 20;
	if (geo->erase_size % geo->page_size)
		return rf_errorf(err, errlen, "erase size %" PRIu32
				    " is not a multiple of the page size %" PRIu32,
				    geo->erase_size, geo->page_size);
	if (geo->erase_size < geo->page_size * 2 && nand)
		return rf_errorf(err, errlen, "a NAND eraseblock needs two pages or more");
	if (geo->writebuf_size % geo->page_size ||
	    geo->erase_size % geo->writebuf_size)
		return rf_errorf(err, errlen, "write buffer size %" PRIu32
				    " must be a multiple of the page size dividing the erase size",
				    geo->writebuf_size);
	if (geo->size % geo->erase_size)
		return rf_errorf(err, errlen, "device size %" PRIu64
				    " is not a multiple of the erase size %" PRIu32,
				    geo->size, geo->erase_size);
	if (geo->oob_avail > geo->oob_size)
		return rf_errorf(err, errlen, "OOB avail %" PRIu32
				    " exceeds the OOB size %" PRIu32,
				    geo->oob_avail, geo->oob_size);
	if (geo->bitflip_threshold > geo->ecc_strength)
		return rf_errorf(err, errlen, "bit-flip threshold %" PRIu32
				    " exceeds the ECC strength %" PRIu32,
				    geo->bitflip_threshold, geo->ecc_strength);
	return 0;
}

uint32_t rf_oob_free_offset(const struct rf_geometry *geo)
{
	/* The module's OOB layout: the free bytes follow the marker's. */
	return muse_oob_bbm_bytes(geo->oob_size, geo->oob_avail);
}
