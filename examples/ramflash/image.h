/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash backing store: one mapping holding a header, the in-band data,
 * the OOB of every page, per-block metadata and per-subpage program state.
 *
 * Without a file the mapping is anonymous memory.  With one it is the file
 * mapped MAP_SHARED, so whatever was programmed is in the page cache the
 * moment the memcpy ends: a process that stops (a simulated power cut, a
 * crash, SIGKILL) leaves exactly what was programmed, and msync() on sync
 * and at exit writes it to disk.
 *
 * File layout (host byte order, every region 4 KiB aligned):
 *   header (struct rf_image_header) | data (size bytes) |
 *   OOB (pages * oob_size) | block metadata (blocks * struct rf_block_meta) |
 *   program state (one byte per subpage) | RAW marks (one byte per page) |
 *   ECC shadow (size bytes)
 * The last three exist for NAND only.  The shadow holds, for pages a RAW
 * write changed, what their ECC protects; it is read only where a page
 * is marked, so it stays sparse (no memory, no disk blocks) until then.
 */
#ifndef RAMFLASH_IMAGE_H
#define RAMFLASH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

#define RF_IMAGE_MAGIC		"RAMFLASH"
#define RF_IMAGE_VERSION	2

struct rf_block_meta {
	uint32_t erase_count;
	uint32_t reads_since_erase;	/* read disturb */
	uint64_t read_seq;		/* reads ever, seeds random flips */
	uint64_t program_clock;		/* op clock + 1 at the first program
					 * after the last erase, 0: none */
	uint8_t bad;			/* enum rf_bad_reason */
	uint8_t reserved[7];
};

struct rf_image_header {
	char magic[8];			/* RF_IMAGE_MAGIC, no NUL */
	uint32_t version;		/* RF_IMAGE_VERSION */
	uint32_t type;			/* enum rf_type */
	uint64_t size;
	uint32_t page_size;
	uint32_t erase_size;
	uint32_t oob_size;
	uint32_t oob_avail;		/* where AUTO-mode bytes live */
	uint32_t subpage_size;
	uint32_t reserved;
	uint64_t data_off;
	uint64_t oob_off;
	uint64_t meta_off;
	uint64_t state_off;
	uint64_t raw_off;
	uint64_t shadow_off;
	uint64_t file_size;
	uint64_t clock;			/* op clock, for --retention */
	/*
	 * Recorded for rf_image_read_geometry(), not checked on reuse: the
	 * stored bits do not depend on them.
	 */
	uint32_t writebuf_size;
	uint32_t ecc_strength;
	uint32_t ecc_step;
	uint32_t bitflip_threshold;
};

struct rf_image {
	void *map;
	size_t map_len;
	int fd;				/* -1: anonymous */
	bool created;			/* fresh store (erased, no bad blocks) */
	struct rf_image_header *hdr;
	uint8_t *data;
	uint8_t *oob;
	struct rf_block_meta *meta;
	uint8_t *programmed;		/* per subpage: 1 once programmed */
	uint8_t *raw_written;		/* per page: 1 once RAW-written */
	uint8_t *shadow;		/* per page: what its ECC protects */
};

/**
 * rf_image_open() - map a fresh or existing store.
 * @img:	receives the store.
 * @geo:	the (completed) geometry.
 * @path:	image file, or NULL for anonymous memory.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * A missing or empty file is created and erased.  An existing one must
 * carry the magic, version and the same geometry, else -EINVAL; another
 * ramflash holding it gives -EBUSY.
 *
 * Return: 0 or a negative errno, with @err set.
 */
int rf_image_open(struct rf_image *img, const struct rf_geometry *geo,
		  const char *path, char *err, size_t errlen);

/**
 * rf_image_read_geometry() - the geometry an existing image was made with.
 * @path:	the image file.
 * @geo:	receives the geometry (ECC and write buffer as last served).
 *
 * Return: true if @path is a ramflash image this version reads, false if
 * it is missing, empty or anything else (rf_image_open() explains).
 */
bool rf_image_read_geometry(const char *path, struct rf_geometry *geo);

/* rf_image_sync() - msync the file mapping (no-op when anonymous). */
int rf_image_sync(struct rf_image *img);

/* rf_image_close() - sync, unmap and close; returns the sync result. */
int rf_image_close(struct rf_image *img);

#endif /* RAMFLASH_IMAGE_H */
