// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash --nand-id: READ ID bytes to geometry.
 *
 * The facts are those of the kernel's generic NAND table and ID rules
 * (drivers/mtd/nand/raw/nand_ids.c, nand_decode_ext_id() and
 * nand_decode_id() in nand_base.c): byte 1 is the manufacturer, byte 2
 * the device, which gives the chip size; small-page chips have fixed
 * pages and eraseblocks, large-page chips spell theirs in byte 4.
 * Chips the kernel knows only by their full ID, ONFI or JEDEC parameter
 * pages, or by a manufacturer's own rules are not decoded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nand-id.h"

#define KIB	1024U

/* nandsim's default ECC: software Hamming, 3 bytes fix 1 bit of 256. */
#define RF_HAMMING_STEP		256
#define RF_HAMMING_BYTES	3

/* A device ID and what it says. */
struct rf_nand_dev {
	uint8_t dev_id;
	uint32_t size_mib;
	uint8_t erase_kib;	/* small page (512 B): eraseblock; 0: large
				 * page, sizes from the extended ID */
};

/*
 * The generic chips, 8- and 16-bit alike (the bus width does not show at
 * the MTD level).  Small-page chips first, as in the kernel's table.
 */
static const struct rf_nand_dev rf_nand_devs[] = {
	{ 0x6b, 4, 8 }, { 0xe3, 4, 8 }, { 0xe5, 4, 8 },
	{ 0xd6, 8, 8 }, { 0xe6, 8, 8 },
	{ 0x33, 16, 16 }, { 0x73, 16, 16 }, { 0x43, 16, 16 }, { 0x53, 16, 16 },
	{ 0x35, 32, 16 }, { 0x75, 32, 16 }, { 0x45, 32, 16 }, { 0x55, 32, 16 },
	{ 0x36, 64, 16 }, { 0x76, 64, 16 }, { 0x46, 64, 16 }, { 0x56, 64, 16 },
	{ 0x78, 128, 16 }, { 0x39, 128, 16 }, { 0x79, 128, 16 },
	{ 0x72, 128, 16 }, { 0x49, 128, 16 }, { 0x74, 128, 16 },
	{ 0x59, 128, 16 },
	{ 0x71, 256, 16 },
	{ 0xa2, 64, 0 }, { 0xa0, 64, 0 }, { 0xf2, 64, 0 }, { 0xd0, 64, 0 },
	{ 0xf0, 64, 0 }, { 0xb2, 64, 0 }, { 0xb0, 64, 0 }, { 0xc2, 64, 0 },
	{ 0xc0, 64, 0 },
	{ 0xa1, 128, 0 }, { 0xf1, 128, 0 }, { 0xd1, 128, 0 }, { 0xb1, 128, 0 },
	{ 0xc1, 128, 0 }, { 0xad, 128, 0 },
	{ 0xaa, 256, 0 }, { 0xda, 256, 0 }, { 0xba, 256, 0 }, { 0xca, 256, 0 },
	{ 0xac, 512, 0 }, { 0xdc, 512, 0 }, { 0xbc, 512, 0 }, { 0xcc, 512, 0 },
	{ 0xa3, 1024, 0 }, { 0xd3, 1024, 0 }, { 0xb3, 1024, 0 },
	{ 0xc3, 1024, 0 },
	{ 0xa5, 2048, 0 }, { 0xd5, 2048, 0 }, { 0xb5, 2048, 0 },
	{ 0xc5, 2048, 0 },
	{ 0xa7, 4096, 0 }, { 0xd7, 4096, 0 }, { 0xb7, 4096, 0 },
	{ 0xc7, 4096, 0 },
	{ 0xae, 8192, 0 }, { 0xde, 8192, 0 }, { 0xbe, 8192, 0 },
	{ 0xce, 8192, 0 },
	{ 0x1a, 16384, 0 }, { 0x3a, 16384, 0 }, { 0x2a, 16384, 0 },
	{ 0x4a, 16384, 0 },
	{ 0x1c, 32768, 0 }, { 0x3c, 32768, 0 }, { 0x2c, 32768, 0 },
	{ 0x4c, 32768, 0 },
	{ 0x1e, 65536, 0 }, { 0x3e, 65536, 0 }, { 0x2e, 65536, 0 },
	{ 0x4e, 65536, 0 },
};

int rf_nand_id_parse(const char *text, uint8_t id[RF_NAND_ID_BYTES],
		     char *err, size_t errlen)
{
	const char *p = text;
	unsigned long v;
	size_t n = 0;
	char *end;

	memset(id, 0xff, RF_NAND_ID_BYTES);
	for (;;) {
		if (*p < '0' || *p > '9' || n == RF_NAND_ID_BYTES)
			break;
		errno = 0;
		v = strtoul(p, &end, 0);
		if (errno || end == p || v > 0xff)
			break;
		id[n++] = (uint8_t)v;
		p = end;
		if (!*p && n >= 2)
			return 0;
		if (*p++ != ',')
			break;
	}
	return rf_errorf(err, errlen,
		"--nand-id: '%s' is not 2 to 8 bytes like 0xec,0xd3,0x51,0x95",
		text);
}

static const struct rf_nand_dev *rf_find_nand_dev(uint8_t dev_id)
{
	size_t i;

	for (i = 0; i < sizeof(rf_nand_devs) / sizeof(rf_nand_devs[0]); i++)
		if (rf_nand_devs[i].dev_id == dev_id)
			return &rf_nand_devs[i];
	return NULL;
}

/* Free OOB bytes the kernel's Hamming layouts leave (small, large page). */
static uint32_t rf_hamming_oob_avail(uint32_t page, uint32_t oob)
{
	uint32_t reserved = 2 + page / RF_HAMMING_STEP * RF_HAMMING_BYTES;

	if (page == 512)
		return oob / 2;
	return oob > reserved ? oob - reserved : 0;
}

int rf_nand_id_decode(const uint8_t id[RF_NAND_ID_BYTES],
		      struct rf_geometry *geo, char *err, size_t errlen)
{
	const struct rf_nand_dev *dev = rf_find_nand_dev(id[1]);
	uint8_t ext = id[3];

	if (!dev)
		return rf_errorf(err, errlen,
			"--nand-id: device ID 0x%02x is not a generic chip of the kernel's table; give the geometry options instead",
			id[1]);
	memset(geo, 0, sizeof(*geo));
	geo->type = RF_TYPE_NAND;
	geo->size = (uint64_t)dev->size_mib << 20;
	if (dev->erase_kib) {
		/* Small page: the table says it all; always SLC. */
		geo->page_size = 512;
		geo->erase_size = dev->erase_kib * KIB;
		geo->oob_size = geo->page_size / 32;
	} else {
		/* Byte 3 bits 2-3: bits per cell - 1; byte 4: the sizes. */
		if ((id[2] >> 2) & 3)
			geo->type = RF_TYPE_MLC_NAND;
		geo->page_size = 1024U << (ext & 3);
		geo->oob_size = (8U << ((ext >> 2) & 1)) * (geo->page_size / 512);
		geo->erase_size = (64 * KIB) << ((ext >> 4) & 3);
	}
	geo->ecc_strength = 1;
	geo->ecc_step = RF_HAMMING_STEP;
	geo->oob_avail = rf_hamming_oob_avail(geo->page_size, geo->oob_size);
	return 0;
}
