// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash dumps: import a nanddump/programmer/plain dump into a simulator
 * and export one from it.  See dump.h for the layouts.
 *
 * Both directions go through the simulator's own request paths
 * (rf_sim_write, rf_sim_read), so an import leaves exactly the state the
 * same programs through the kernel would (per-subpage program bits, OOB,
 * holes for erased pages) and an export reads what the kernel reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

int rf_dump_format_parse(const char *name, enum rf_dump_format *fmt)
{
	if (!strcmp(name, "plain"))
		*fmt = RF_DUMP_PLAIN;
	else if (!strcmp(name, "oob"))
		*fmt = RF_DUMP_OOB;
	else
		return -EINVAL;
	return 0;
}

const char *rf_dump_format_name(enum rf_dump_format fmt)
{
	return fmt == RF_DUMP_OOB ? "oob" : "plain";
}

/* Bytes a page takes in the dump. */
static uint64_t rf_dump_record(const struct rf_geometry *geo,
			       enum rf_dump_format fmt)
{
	return geo->page_size + (fmt == RF_DUMP_OOB ? geo->oob_size : 0);
}

static uint64_t rf_dump_block_bytes(const struct rf_geometry *geo,
				    enum rf_dump_format fmt)
{
	return geo->erase_size / geo->page_size * rf_dump_record(geo, fmt);
}

/* An OOB dump of a chip without OOB would be a plain one: refuse it. */
static int rf_dump_check_format(const struct rf_geometry *geo,
				enum rf_dump_format fmt, char *err,
				size_t errlen)
{
	if (fmt == RF_DUMP_OOB && !geo->oob_size)
		return rf_errorf(err, errlen,
				 "format oob needs OOB, and this %s geometry has none",
				 rf_type_name(geo->type));
	return 0;
}

int rf_dump_fit(struct rf_geometry *geo, enum rf_dump_format fmt, uint64_t len,
		bool infer_size, char *err, size_t errlen)
{
	uint64_t block = rf_dump_block_bytes(geo, fmt);
	uint64_t size = len / block * geo->erase_size;
	int ret = rf_dump_check_format(geo, fmt, err, errlen);

	if (ret)
		return ret;
	if (!len || len % block) {
		if (fmt == RF_DUMP_OOB)
			return rf_errorf(err, errlen, "%" PRIu64
					 " bytes are not a whole number of %" PRIu64
					 "-byte eraseblocks (%" PRIu32
					 " records of %" PRIu32 " + %" PRIu32
					 " OOB bytes)", len, block,
					 geo->erase_size / geo->page_size,
					 geo->page_size, geo->oob_size);
		return rf_errorf(err, errlen, "%" PRIu64
				 " bytes are not a whole number of %" PRIu64
				 "-byte eraseblocks", len, block);
	}
	if (infer_size)
		geo->size = size;
	else if (size != geo->size)
		return rf_errorf(err, errlen, "the dump holds %" PRIu64
				 " bytes of flash (%" PRIu64
				 " eraseblocks), the geometry %" PRIu64,
				 size, size / geo->erase_size, geo->size);
	return 0;
}

uint32_t rf_dump_bbm_offset(const struct rf_geometry *geo)
{
	return geo->page_size > 512 ? 0 : 5;
}

int rf_dump_scan_bad(FILE *in, const struct rf_geometry *geo,
		     enum rf_dump_format fmt, struct rf_block_list *bad,
		     char *err, size_t errlen)
{
	uint32_t bbm = rf_dump_bbm_offset(geo);
	uint64_t block, b;
	int c;

	if (fmt != RF_DUMP_OOB || bbm >= geo->oob_size)
		return 0;
	block = rf_dump_block_bytes(geo, fmt);
	for (b = 0; b < geo->size / geo->erase_size; b++) {
		if (fseeko(in, (off_t)(b * block + geo->page_size + bbm),
			   SEEK_SET) || (c = getc(in)) == EOF) {
			snprintf(err, errlen, "cannot read the bad-block marker of block %"
				 PRIu64 ": %s", b, ferror(in) ? strerror(errno) :
				 "the dump ends before it");
			return -EIO;
		}
		if (c != 0xff && rf_block_list_add(bad, b)) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

/* Whether @len bytes at @p are all 0xff, erased flash. */
static bool rf_erased(const uint8_t *p, size_t len)
{
	return !len || (p[0] == 0xff && !memcmp(p, p + 1, len - 1));
}

/*
 * Program the @len bytes of @data at @addr, one write per run of units
 * that are not erased, and @oob (if not erased) with the first of them or
 * alone.  A NAND run never crosses a page (the caller passes one page), so
 * the OOB goes with its page.
 */
static int rf_dump_program(struct rf_sim *sim, uint64_t addr,
			   const uint8_t *data, uint32_t len, uint32_t unit,
			   const uint8_t *oob, uint32_t ooblen,
			   struct rf_dump_stats *stats, char *err, size_t errlen)
{
	struct rf_io io = { .mode = RF_OOB_PLACE };
	uint32_t pos = 0, end;
	int ret;

	if (oob && !rf_erased(oob, ooblen)) {
		io.oobbuf = (void *)oob;
		io.ooblen = ooblen;
		stats->oob_pages++;
	}
	for (;;) {
		while (pos < len && rf_erased(data + pos, unit))
			pos += unit;
		if (pos == len && !io.ooblen)
			break;
		for (end = pos; end < len && !rf_erased(data + end, unit);)
			end += unit;
		/* OOB alone is addressed by its page's start. */
		io.addr = addr + (pos < len ? pos : 0);
		io.buf = (void *)(data + pos);
		io.len = end - pos;
		ret = rf_sim_write(sim, &io);
		if (ret)
			return rf_errorf(err, errlen,
					 "programming the flash at 0x%" PRIx64
					 " failed: %s", io.addr, strerror(-ret));
		stats->programmed += io.len;
		io.ooblen = 0;
		io.oobbuf = NULL;
		pos = end;
	}
	return 0;
}

int rf_dump_import(struct rf_sim *sim, FILE *in, enum rf_dump_format fmt,
		   struct rf_dump_stats *stats, char *err, size_t errlen)
{
	const struct rf_geometry *geo = rf_sim_geometry(sim);
	uint64_t block = rf_dump_block_bytes(geo, fmt);
	uint64_t rec = rf_dump_record(geo, fmt);
	uint32_t pages = geo->erase_size / geo->page_size;
	bool nand = rf_type_is_nand(geo->type);
	uint64_t b, addr;
	uint8_t *buf;
	uint32_t p;
	int ret = rf_dump_check_format(geo, fmt, err, errlen);

	memset(stats, 0, sizeof(*stats));
	if (ret)
		return ret;
	buf = malloc(block);
	if (!buf)
		return rf_errorf(err, errlen, "out of memory for a block of %"
				 PRIu64 " bytes", block);
	rewind(in);
	for (b = 0; b < rf_sim_blocks(sim) && !ret; b++) {
		if (fread(buf, 1, block, in) != block) {
			ret = rf_errorf(err, errlen, "cannot read block %" PRIu64
					" of the dump: %s", b, ferror(in) ?
					strerror(errno) : "the dump ends before it");
			break;
		}
		if (rf_sim_bad_reason(sim, b) != RF_BLOCK_GOOD)
			continue;
		addr = b * geo->erase_size;
		/* NOR and RAM: the write buffer is what the chip programs. */
		if (!nand) {
			ret = rf_dump_program(sim, addr, buf, geo->erase_size,
					      geo->writebuf_size, NULL, 0,
					      stats, err, errlen);
			continue;
		}
		for (p = 0; p < pages && !ret; p++)
			ret = rf_dump_program(sim, addr + (uint64_t)p * geo->page_size,
					      buf + p * rec, geo->page_size,
					      geo->subpage_size,
					      fmt == RF_DUMP_OOB ?
					      buf + p * rec + geo->page_size : NULL,
					      geo->oob_size, stats, err, errlen);
	}
	free(buf);
	return ret;
}

int rf_dump_export(struct rf_sim *sim, FILE *out, enum rf_dump_format fmt,
		   struct rf_dump_stats *stats, char *err, size_t errlen)
{
	const struct rf_geometry *geo = rf_sim_geometry(sim);
	uint32_t pages = geo->erase_size / geo->page_size;
	uint32_t bbm = rf_dump_bbm_offset(geo);
	bool oob = fmt == RF_DUMP_OOB;
	struct rf_ecc ecc;
	struct rf_io io = {
		.len = geo->erase_size,
		.ooblen = oob ? (size_t)pages * geo->oob_size : 0,
		.mode = RF_OOB_PLACE,
	};
	bool bad;
	uint64_t b;
	uint32_t p;
	int ret = rf_dump_check_format(geo, fmt, err, errlen);

	memset(stats, 0, sizeof(*stats));
	if (ret)
		return ret;
	io.buf = malloc(io.len + io.ooblen);
	if (!io.buf)
		return rf_errorf(err, errlen, "out of memory for a block");
	io.oobbuf = (uint8_t *)io.buf + io.len;
	for (b = 0; b < rf_sim_blocks(sim) && !ret; b++) {
		bad = rf_sim_bad_reason(sim, b) != RF_BLOCK_GOOD;
		io.addr = b * geo->erase_size;
		if (bad && !oob) {
			memset(io.buf, 0xff, io.len);
		} else {
			ret = rf_sim_read(sim, &io, &ecc);
			if (ret) {
				rf_errorf(err, errlen, "reading block %" PRIu64
					  " failed: %s", b, strerror(-ret));
				break;
			}
			if (ecc.failed && !stats->ecc_failed)
				stats->ecc_failed_addr = io.addr;
			stats->ecc_failed += ecc.failed;
		}
		if (bad && oob && bbm < geo->oob_size)
			((uint8_t *)io.oobbuf)[bbm] = 0;
		if (!oob) {
			fwrite(io.buf, 1, io.len, out);
			continue;
		}
		for (p = 0; p < pages; p++) {
			fwrite((uint8_t *)io.buf + (size_t)p * geo->page_size, 1,
			       geo->page_size, out);
			fwrite((uint8_t *)io.oobbuf + (size_t)p * geo->oob_size, 1,
			       geo->oob_size, out);
		}
	}
	free(io.buf);
	if (!ret && (fflush(out) || ferror(out)))
		ret = rf_errorf(err, errlen, "writing the dump failed: %s",
				strerror(errno));
	return ret;
}
