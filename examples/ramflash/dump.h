/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash dumps: a chip's contents in the byte layouts other flash tools
 * read and write, to and from a simulator (the ramflash-image tool).
 *
 * RF_DUMP_PLAIN is the in-band data of every page in address order:
 * nanddump without --oob, nandwrite without -o, and a NOR or RAM image
 * (dd of /dev/mtdN, flashcp's input).  RF_DUMP_OOB follows the data of
 * every page with its whole OOB area, page_size + oob_size bytes a record:
 * nanddump --oob, nandwrite -o, and the raw page+OOB records flash
 * programmers read and write (2112 bytes for 2 KiB + 64, any geometry).
 *
 * Bad blocks in a dump follow the kernel's NAND convention: the OOB byte at
 * the bad-block marker position (rf_dump_bbm_offset()) of a block's first
 * page is not 0xff.  Linux also checks the second or last page for some
 * chips (NAND_BBM_SECONDPAGE, NAND_BBM_LASTPAGE); a dump of those, and a
 * plain dump (no OOB), needs its bad blocks given as a list.
 */
#ifndef RAMFLASH_DUMP_H
#define RAMFLASH_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "faults.h"
#include "sim.h"

enum rf_dump_format {
	RF_DUMP_PLAIN,		/* data only */
	RF_DUMP_OOB,		/* data, then the whole OOB, page after page */
};

/* What an import or export did, for the report. */
struct rf_dump_stats {
	uint64_t programmed;		/* import: data bytes programmed */
	uint64_t oob_pages;		/* import: pages whose OOB was */
	uint64_t ecc_failed;		/* export: uncorrectable ECC steps */
	uint64_t ecc_failed_addr;	/* export: the first one's page */
};

/**
 * rf_dump_format_parse() - "plain" or "oob".
 * Return: 0, or -EINVAL for another name.
 */
int rf_dump_format_parse(const char *name, enum rf_dump_format *fmt);

/* rf_dump_format_name() - the spelling rf_dump_format_parse() takes. */
const char *rf_dump_format_name(enum rf_dump_format fmt);

/**
 * rf_dump_fit() - check a dump's length against a geometry, or size the
 * geometry after it.
 * @geo:	a completed geometry; with @infer_size its size becomes the
 *		dump's.
 * @fmt:	the dump's layout (RF_DUMP_OOB needs OOB).
 * @len:	the dump's length in bytes.
 * @infer_size:	false: the dump must hold exactly @geo's size.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * A dump holds whole eraseblocks: pages_per_block records each.
 *
 * Return: 0, or -EINVAL with @err set.
 */
int rf_dump_fit(struct rf_geometry *geo, enum rf_dump_format fmt, uint64_t len,
		bool infer_size, char *err, size_t errlen);

/*
 * rf_dump_bbm_offset() - where the kernel looks for a NAND bad-block
 * marker in a page's OOB: byte 5 on pages of 512 bytes or less, byte 0 on
 * larger ones (nand_base's NAND_BBM_POS_SMALL and _LARGE, 8-bit bus).
 */
uint32_t rf_dump_bbm_offset(const struct rf_geometry *geo);

/**
 * rf_dump_scan_bad() - add the blocks a dump marks bad to @bad.
 * @in:		the dump, read from its start; left anywhere.
 * @geo:	the geometry (rf_dump_fit() accepted the dump).
 * @fmt:	RF_DUMP_OOB (a plain dump has no markers: nothing is added).
 * @bad:	the list to extend.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Return: 0, -EIO (read error, short dump) or -ENOMEM, with @err set.
 */
int rf_dump_scan_bad(FILE *in, const struct rf_geometry *geo,
		     enum rf_dump_format fmt, struct rf_block_list *bad,
		     char *err, size_t errlen);

/**
 * rf_dump_import() - program a fresh simulator with a dump.
 * @sim:	the simulator, erased, its bad blocks already marked.
 * @in:		the dump, read from its start.
 * @fmt:	its layout.
 * @stats:	receives what was programmed.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Only what differs from erased flash is programmed, in the units the
 * chip programs (NAND subpages, the NOR/RAM write buffer), with the OOB of
 * its page; all-0xff units stay erased: holes in the store, and free for
 * a later program as on the chip that was dumped.  Bad blocks are not
 * programmed: they read as the simulator marked them.
 *
 * Return: 0, or a negative errno with @err set.
 */
int rf_dump_import(struct rf_sim *sim, FILE *in, enum rf_dump_format fmt,
		   struct rf_dump_stats *stats, char *err, size_t errlen);

/**
 * rf_dump_export() - write a simulator's contents as a dump.
 * @sim:	the simulator.
 * @out:	where the dump goes.
 * @fmt:	its layout.
 * @stats:	receives the ECC failures met.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * Reads what the kernel reads through ramflash (data through the ECC, the
 * OOB as stored: MTD_OPS_PLACE_OOB).  Bad blocks: 0xff in a plain dump,
 * as nanddump's default --bb=padbad writes them; their contents with the
 * marker at rf_dump_bbm_offset() in an OOB dump, so that the dump says
 * which blocks are bad.  An uncorrectable ECC step is counted and its data
 * written as read, as nanddump does.
 *
 * Return: 0, or a negative errno with @err set.
 */
int rf_dump_export(struct rf_sim *sim, FILE *out, enum rf_dump_format fmt,
		   struct rf_dump_stats *stats, char *err, size_t errlen);

#endif /* RAMFLASH_DUMP_H */
