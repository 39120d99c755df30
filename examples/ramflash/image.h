/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ramflash backing store: a sparse file holding a header, per-block
 * metadata, the in-band data, the OOB of every page and an ECC shadow.
 *
 * The data, OOB and shadow regions hold every byte inverted (stored =
 * ~flash), so a hole in the file, which reads as zeros, is erased flash
 * (0xff).  Never-programmed and erased pages therefore cost neither memory
 * nor disk blocks, and an erase is a hole punched over the block
 * (fallocate(FALLOC_FL_PUNCH_HOLE)): a few system calls whatever the block
 * size.  The data regions are reached with pread/pwrite, not mapped: a
 * read fault on a hole of a shared mapping would allocate a page (tmpfs,
 * the page cache), a pread of a hole does not on tmpfs.  Header and
 * metadata, which are sized by blocks, are mapped MAP_SHARED.
 *
 * Without --image the same layout lives in a memfd, so anonymous and file
 * stores share one code path.  Whatever was programmed is in the page
 * cache when the request returns: a process that stops (a simulated power
 * cut, a crash, SIGKILL) leaves exactly what was programmed; sync and exit
 * write it to disk.
 *
 * File layout, version 3 (host byte order, every region 4 KiB aligned):
 *   header (struct rf_image_header, padded to 4 KiB; its flags field,
 *     zero in older images, says RF_IMAGE_KERNEL_PROGRAMS)
 *   metadata: blocks * meta_stride bytes; block b's record at
 *     meta_off + b * meta_stride: struct rf_block_meta (32 bytes; its
 *     kernel_programs at offset 26 is the count the kernel adds the
 *     subpages it programmed itself to, MUSE_EXT_KERNEL_PROGRAM, and its
 *     kernel_erases at offset 28 the count it adds its own erases of the
 *     block to, MUSE_EXT_KERNEL_ERASE), then (NAND) one bit per subpage of
 *     the block, "programmed since the erase" (bit i of byte i / 8 for the
 *     block's subpage i; the kernel sets bits of it too, and clears it at
 *     its erases, when it programs), then one bit per page, "RAW-written
 *     since the erase" (its ECC shadow is valid)
 *   data: size bytes, device byte a at data_off + a, stored as ~byte
 *   OOB: pages * oob_size bytes, page p's OOB at oob_off + p * oob_size,
 *     stored as ~byte
 *   shadow (NAND only): size bytes like the data, what the ECC of a
 *     RAW-written page protects, stored as ~byte; read only where the
 *     page's RAW bit is set
 * file_size covers all regions; the file is sparse.
 */
#ifndef RAMFLASH_IMAGE_H
#define RAMFLASH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geometry.h"

#define RF_IMAGE_MAGIC		"RAMFLASH"
#define RF_IMAGE_VERSION	3

struct rf_block_meta {
	uint32_t erase_count;
	uint32_t reads_since_erase;	/* read disturb */
	uint64_t read_seq;		/* reads ever, seeds random flips */
	uint64_t program_clock;		/* op clock + 1 at the first program
					 * after the last erase, 0: none */
	uint8_t bad;			/* enum rf_bad_reason */
	/*
	 * 1: an erase failed past --endurance.  The block stays good, as a
	 * worn chip's does, until the user marks it (then RF_BLOCK_WORN_OUT).
	 * Zero in older images, where bad said it at once.
	 */
	uint8_t worn_out;
	/*
	 * Subpages the kernel programmed itself (kernel program: the data
	 * stored, the subpages' "programmed" bits set, then this count
	 * raised with an atomic add on tmpfs), not yet applied to the
	 * statistics; the simulator takes it with an atomic exchange to 0
	 * (io.c).  Zero in older images (it was reserved), so the version
	 * stays 3.
	 */
	uint16_t kernel_programs;
	/*
	 * Erases the kernel did itself (kernel erase: holes punched over the
	 * block's data and OOB, then this count read, incremented and written
	 * through the file), not yet applied to the fields above; the
	 * simulator takes it with an atomic exchange to 0 (io.c).  Zero in
	 * images of ramflash before kernel erase, so the version stays 3.
	 */
	uint32_t kernel_erases;
};

_Static_assert(offsetof(struct rf_block_meta, kernel_programs) == 26,
	       "kernel_programs: the image's block record layout");
_Static_assert(offsetof(struct rf_block_meta, kernel_erases) == 28,
	       "kernel_erases: the image's block record layout");
_Static_assert(sizeof(struct rf_block_meta) == 32,
	       "struct rf_block_meta: the image's block record layout");

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
	uint32_t meta_stride;		/* metadata bytes per block */
	uint64_t meta_off;
	uint64_t data_off;
	uint64_t oob_off;
	uint64_t shadow_off;		/* 0: no shadow (not NAND) */
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
	uint32_t flags;			/* RF_IMAGE_*, 0 in older images */
};

/*
 * rf_image_header.flags: the kernel programmed into the image (kernel
 * program) since it was last opened, so its erases cleared the blocks'
 * "programmed" bits themselves: the counts of kernel erases it left are
 * applied without clearing them (the bits set since are its programs).
 */
#define RF_IMAGE_KERNEL_PROGRAMS	(1U << 0)

/* The regions of flash contents, addressed by device offset. */
enum rf_region {
	RF_REGION_DATA,
	RF_REGION_OOB,		/* offset: page * oob_size + byte */
	RF_REGION_SHADOW,
};

struct rf_image {
	int fd;				/* the image file or a memfd */
	bool anonymous;			/* memfd: nothing to flush */
	bool created;			/* fresh store (erased, no bad blocks) */
	void *map;			/* header and metadata */
	size_t map_len;
	struct rf_image_header *hdr;
	uint8_t *meta;			/* the first block's record */
	uint32_t meta_stride;
	uint32_t programmed_off;	/* offsets in a block's record */
	uint32_t raw_off;
	uint64_t region_off[3];		/* by enum rf_region */
};

/**
 * rf_image_open() - open a fresh or existing store.
 * @img:	receives the store.
 * @geo:	the (completed) geometry.
 * @path:	image file, or NULL for anonymous memory.
 * @err:	receives a one-line reason on failure.
 * @errlen:	size of @err.
 *
 * A missing or empty file is created erased, which takes no time and no
 * space: it is one hole.  An existing one must carry the magic, version
 * and the same geometry, else -EINVAL (an image of an older version is
 * refused with what to do); another ramflash holding it gives -EBUSY.
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

/* rf_image_block() - block @b's metadata record. */
static inline struct rf_block_meta *rf_image_block(const struct rf_image *img,
						   uint64_t b)
{
	return (struct rf_block_meta *)(img->meta + b * img->meta_stride);
}

/* rf_image_programmed() - block @b's per-subpage "programmed" bits. */
static inline uint8_t *rf_image_programmed(const struct rf_image *img,
					   uint64_t b)
{
	return img->meta + b * img->meta_stride + img->programmed_off;
}

/* rf_image_raw_bits() - block @b's per-page "RAW-written" bits. */
static inline uint8_t *rf_image_raw_bits(const struct rf_image *img,
					 uint64_t b)
{
	return img->meta + b * img->meta_stride + img->raw_off;
}

/**
 * rf_image_load() - read flash bytes.
 * @img:	the store.
 * @region:	which region.
 * @off:	offset in the region.
 * @buf:	receives @len bytes as the flash holds them (holes: 0xff).
 * @len:	bytes.
 *
 * Return: 0 or -EIO.
 */
int rf_image_load(const struct rf_image *img, enum rf_region region,
		  uint64_t off, void *buf, size_t len);

/**
 * rf_image_program() - store flash bytes.
 * @img:	the store.
 * @region:	which region.
 * @off:	offset in the region.
 * @src:	@len bytes.
 * @len:	bytes.
 * @and:	true: new = old AND src (NAND/NOR programming), false: the
 *		bytes become @src (RAM, or cells known to be erased, where
 *		AND is a copy and the old bytes need not be read).
 *
 * Return: 0 or -EIO (the file system is full or failing).
 */
int rf_image_program(const struct rf_image *img, enum rf_region region,
		     uint64_t off, const void *src, size_t len, bool and);

/**
 * rf_image_erase() - make [@off, @off + @len) of @region erased (0xff) and
 * give its memory or disk blocks back.
 *
 * Return: 0 or -EIO.
 */
int rf_image_erase(const struct rf_image *img, enum rf_region region,
		   uint64_t off, size_t len);

/**
 * rf_image_copy() - copy [@off, @off + @len) of region @from to the same
 * offsets of region @to.
 *
 * Return: 0 or -EIO.
 */
int rf_image_copy(const struct rf_image *img, enum rf_region from,
		  enum rf_region to, uint64_t off, size_t len);

/**
 * rf_image_diff_bits() - bits in which [@off, @off + @len) of regions @a
 * and @b differ.
 * @bits:	receives the count.
 *
 * Return: 0 or -EIO.
 */
int rf_image_diff_bits(const struct rf_image *img, enum rf_region a,
		       enum rf_region b, uint64_t off, size_t len,
		       uint32_t *bits);

/* rf_image_allocated() - bytes of memory or disk the store holds now. */
uint64_t rf_image_allocated(const struct rf_image *img);

/*
 * rf_image_allocated_in() - bytes the store holds of [@off, @off + @len)
 * of @region: its data between holes (SEEK_DATA, SEEK_HOLE), whatever
 * the bytes are (a page of zeros is held).  0 where the file cannot tell.
 */
uint64_t rf_image_allocated_in(const struct rf_image *img,
			       enum rf_region region, uint64_t off,
			       uint64_t len);

/* rf_image_on_tmpfs() - whether the store is on tmpfs (a memfd is). */
bool rf_image_on_tmpfs(const struct rf_image *img);

/* rf_image_sync() - write header, metadata and data to disk (no-op when
 * anonymous). */
int rf_image_sync(struct rf_image *img);

/* rf_image_close() - sync, unmap and close; returns the sync result. */
int rf_image_close(struct rf_image *img);

#endif /* RAMFLASH_IMAGE_H */
