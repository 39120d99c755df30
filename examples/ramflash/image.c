// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash backing store: a sparse file (or memfd) holding flash bytes
 * inverted, so that holes are erased flash.  See image.h for the layout.
 */
#define _GNU_SOURCE	/* memfd_create, fallocate */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "image.h"

#define RF_IMAGE_ALIGN	4096ULL

/*
 * Bytes moved per system call when bytes must be transformed on the way
 * (inverted, ANDed, compared).  Per thread, so that requests on different
 * blocks never share a buffer; two halves for the comparisons.
 */
#define RF_CHUNK	32768U
static __thread uint8_t rf_bounce[2][RF_CHUNK];

static uint64_t rf_align_up(uint64_t v)
{
	return (v + RF_IMAGE_ALIGN - 1) & ~(RF_IMAGE_ALIGN - 1);
}

/* Fill @hdr with the layout @geo needs. */
static void rf_image_layout(struct rf_image_header *hdr,
			    const struct rf_geometry *geo)
{
	uint64_t pages = geo->size / geo->page_size;
	uint64_t blocks = geo->size / geo->erase_size;
	bool nand = rf_type_is_nand(geo->type);
	uint32_t subpages_per_block = nand ? geo->erase_size / geo->subpage_size : 0;
	uint32_t pages_per_block = nand ? geo->erase_size / geo->page_size : 0;
	uint64_t stride;

	stride = sizeof(struct rf_block_meta) + (subpages_per_block + 7) / 8 +
		 (pages_per_block + 7) / 8;
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->magic, RF_IMAGE_MAGIC, sizeof(hdr->magic));
	hdr->version = RF_IMAGE_VERSION;
	hdr->type = geo->type;
	hdr->size = geo->size;
	hdr->page_size = geo->page_size;
	hdr->erase_size = geo->erase_size;
	hdr->oob_size = geo->oob_size;
	hdr->oob_avail = geo->oob_avail;
	hdr->subpage_size = geo->subpage_size;
	/* 8-byte aligned records keep the 64-bit counters aligned. */
	hdr->meta_stride = (uint32_t)((stride + 7) & ~7ULL);
	hdr->meta_off = rf_align_up(sizeof(*hdr));
	hdr->data_off = rf_align_up(hdr->meta_off + blocks * hdr->meta_stride);
	hdr->oob_off = rf_align_up(hdr->data_off + geo->size);
	hdr->file_size = rf_align_up(hdr->oob_off + pages * geo->oob_size);
	if (nand) {
		hdr->shadow_off = hdr->file_size;
		hdr->file_size = rf_align_up(hdr->shadow_off + geo->size);
	}
	hdr->writebuf_size = geo->writebuf_size;
	hdr->ecc_strength = geo->ecc_strength;
	hdr->ecc_step = geo->ecc_step;
	hdr->bitflip_threshold = geo->bitflip_threshold;
}

/* Record the parts of @layout that may change between runs. */
static void rf_image_record(struct rf_image_header *hdr,
			    const struct rf_image_header *layout)
{
	hdr->writebuf_size = layout->writebuf_size;
	hdr->ecc_strength = layout->ecc_strength;
	hdr->ecc_step = layout->ecc_step;
	hdr->bitflip_threshold = layout->bitflip_threshold;
}

/* Compare an existing header with the wanted layout; explain a mismatch. */
static int rf_image_check(const struct rf_image_header *have,
			  const struct rf_image_header *want, const char *path,
			  char *err, size_t errlen)
{
	if (memcmp(have->magic, RF_IMAGE_MAGIC, sizeof(have->magic))) {
		snprintf(err, errlen, "%s is not a ramflash image", path);
		return -EINVAL;
	}
	if (have->version < RF_IMAGE_VERSION) {
		snprintf(err, errlen, "%s is an image of version %" PRIu32
			 " (fully allocated, from an older ramflash); this ramflash reads version %d (sparse): dump the flash with the older ramflash (nanddump, or ubireader), then remove the file and let this one create it",
			 path, have->version, RF_IMAGE_VERSION);
		return -EINVAL;
	}
	if (have->version != RF_IMAGE_VERSION) {
		snprintf(err, errlen, "%s has image version %" PRIu32
			 ", this ramflash reads %d", path, have->version,
			 RF_IMAGE_VERSION);
		return -EINVAL;
	}
	if (have->type != want->type || have->size != want->size ||
	    have->page_size != want->page_size ||
	    have->erase_size != want->erase_size ||
	    have->oob_size != want->oob_size ||
	    have->oob_avail != want->oob_avail ||
	    have->subpage_size != want->subpage_size) {
		snprintf(err, errlen,
			 "%s holds another geometry: --type %s --size %" PRIu64
			 " --page-size %" PRIu32 " --erase-size %" PRIu32
			 " --oob-size %" PRIu32 " --oob-avail %" PRIu32
			 " --subpage-size %" PRIu32 "; use those or another file",
			 path, rf_type_name((enum rf_type)have->type),
			 have->size, have->page_size, have->erase_size,
			 have->oob_size, have->oob_avail, have->subpage_size);
		return -EINVAL;
	}
	if (memcmp(have, want, offsetof(struct rf_image_header, clock))) {
		snprintf(err, errlen, "%s has an inconsistent header", path);
		return -EINVAL;
	}
	return 0;
}

/* Open or create the image file; sets img->created for a new one. */
static int rf_image_open_file(struct rf_image *img,
			      const struct rf_image_header *layout,
			      const char *path, char *err, size_t errlen)
{
	struct rf_image_header have;
	struct stat st;
	ssize_t got;
	int ret;

	img->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (img->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open image %s: %s", path,
			 strerror(errno));
		return ret;
	}
	if (flock(img->fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, "image %s is in use by another process",
			 path);
		return ret;
	}
	if (fstat(img->fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path,
			 strerror(errno));
		return ret;
	}
	img->created = !st.st_size;
	if (img->created)
		return 0;
	got = pread(img->fd, &have, sizeof(have), 0);
	if (got != (ssize_t)sizeof(have)) {
		snprintf(err, errlen, "%s is not a ramflash image", path);
		return -EINVAL;
	}
	ret = rf_image_check(&have, layout, path, err, errlen);
	if (ret)
		return ret;
	if ((uint64_t)st.st_size != layout->file_size) {
		snprintf(err, errlen, "%s is truncated (%jd of %" PRIu64
			 " bytes)", path, (intmax_t)st.st_size,
			 layout->file_size);
		return -EINVAL;
	}
	return 0;
}

static void rf_image_point(struct rf_image *img)
{
	const struct rf_image_header *hdr = img->map;
	/* Only NAND (the types with a shadow) keeps per-subpage bits. */
	uint32_t subpage_bytes = hdr->shadow_off ?
		(hdr->erase_size / hdr->subpage_size + 7) / 8 : 0;

	img->hdr = img->map;
	img->meta = (uint8_t *)img->map + hdr->meta_off;
	img->meta_stride = hdr->meta_stride;
	img->programmed_off = sizeof(struct rf_block_meta);
	img->raw_off = img->programmed_off + subpage_bytes;
	img->region_off[RF_REGION_DATA] = hdr->data_off;
	img->region_off[RF_REGION_OOB] = hdr->oob_off;
	img->region_off[RF_REGION_SHADOW] = hdr->shadow_off;
}

int rf_image_open(struct rf_image *img, const struct rf_geometry *geo,
		  const char *path, char *err, size_t errlen)
{
	struct rf_image_header layout;
	int ret;

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	rf_image_layout(&layout, geo);
	if (layout.file_size > (uint64_t)INT64_MAX) {
		snprintf(err, errlen, "device too large for this machine");
		return -EINVAL;
	}
	if (path) {
		ret = rf_image_open_file(img, &layout, path, err, errlen);
	} else {
		img->anonymous = true;
		img->created = true;
		img->fd = memfd_create("ramflash", MFD_CLOEXEC);
		ret = img->fd < 0 ? -errno : 0;
		if (ret)
			snprintf(err, errlen, "cannot create the flash store: %s",
				 strerror(errno));
	}
	/* A new store is one hole: erased, metadata zero, in no time. */
	if (!ret && img->created &&
	    ftruncate(img->fd, (off_t)layout.file_size)) {
		ret = -errno;
		snprintf(err, errlen, "cannot size the flash store to %" PRIu64
			 " bytes: %s", layout.file_size, strerror(errno));
	}
	if (!ret) {
		img->map_len = layout.data_off;
		img->map = mmap(NULL, img->map_len, PROT_READ | PROT_WRITE,
				MAP_SHARED, img->fd, 0);
		if (img->map == MAP_FAILED) {
			ret = -errno;
			img->map = NULL;
			snprintf(err, errlen, "cannot map the flash metadata: %s",
				 strerror(errno));
		}
	}
	if (ret) {
		rf_image_close(img);
		return ret;
	}
	if (img->created)
		memcpy(img->map, &layout, sizeof(layout));
	else
		rf_image_record(img->map, &layout);
	rf_image_point(img);
	return 0;
}

bool rf_image_read_geometry(const char *path, struct rf_geometry *geo)
{
	struct rf_image_header hdr;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	got = pread(fd, &hdr, sizeof(hdr), 0);
	close(fd);
	if (got != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr.magic, RF_IMAGE_MAGIC, sizeof(hdr.magic)) ||
	    hdr.version != RF_IMAGE_VERSION)
		return false;
	memset(geo, 0, sizeof(*geo));
	geo->type = (enum rf_type)hdr.type;
	geo->size = hdr.size;
	geo->page_size = hdr.page_size;
	geo->erase_size = hdr.erase_size;
	geo->writebuf_size = hdr.writebuf_size;
	geo->oob_size = hdr.oob_size;
	geo->oob_avail = hdr.oob_avail;
	geo->subpage_size = hdr.subpage_size;
	geo->ecc_strength = hdr.ecc_strength;
	geo->ecc_step = hdr.ecc_step;
	geo->bitflip_threshold = hdr.bitflip_threshold;
	return true;
}

/* ---- flash bytes ---- */

/* The whole of a pread or pwrite; a short count is an I/O error. */
static int rf_file_io(int fd, bool write, uint8_t *buf, size_t len,
		      uint64_t pos)
{
	ssize_t n;

	while (len) {
		n = write ? pwrite(fd, buf, len, (off_t)pos) :
			    pread(fd, buf, len, (off_t)pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
		pos += (uint64_t)n;
	}
	return 0;
}

static int rf_pread_all(int fd, uint8_t *buf, size_t len, uint64_t pos)
{
	return rf_file_io(fd, false, buf, len, pos);
}

static int rf_pwrite_all(int fd, uint8_t *buf, size_t len, uint64_t pos)
{
	return rf_file_io(fd, true, buf, len, pos);
}

/* dst = ~src, a word at a time; memcpy keeps unaligned access defined. */
static void rf_invert(uint8_t *dst, const uint8_t *src, size_t len)
{
	uint64_t w;
	size_t i = 0;

	for (; i + sizeof(w) <= len; i += sizeof(w)) {
		memcpy(&w, src + i, sizeof(w));
		w = ~w;
		memcpy(dst + i, &w, sizeof(w));
	}
	for (; i < len; i++)
		dst[i] = (uint8_t)~src[i];
}

/*
 * Programming ANDs: flash' = flash & src.  Stored inverted that is
 * stored' = ~(~stored & src) = stored | ~src.
 */
static void rf_and_inverted(uint8_t *stored, const uint8_t *src, size_t len)
{
	uint64_t d, s;
	size_t i = 0;

	for (; i + sizeof(d) <= len; i += sizeof(d)) {
		memcpy(&d, stored + i, sizeof(d));
		memcpy(&s, src + i, sizeof(s));
		d |= ~s;
		memcpy(stored + i, &d, sizeof(d));
	}
	for (; i < len; i++)
		stored[i] |= (uint8_t)~src[i];
}

int rf_image_load(const struct rf_image *img, enum rf_region region,
		  uint64_t off, void *buf, size_t len)
{
	int ret = rf_pread_all(img->fd, buf, len, img->region_off[region] + off);

	if (!ret)
		rf_invert(buf, buf, len);
	return ret;
}

int rf_image_program(const struct rf_image *img, enum rf_region region,
		     uint64_t off, const void *src, size_t len, bool and)
{
	uint64_t pos = img->region_off[region] + off;
	uint8_t *bounce = rf_bounce[0];
	const uint8_t *s = src;
	size_t n;
	int ret;

	for (; len; len -= n, s += n, pos += n) {
		n = len < RF_CHUNK ? len : RF_CHUNK;
		if (and) {
			ret = rf_pread_all(img->fd, bounce, n, pos);
			if (ret)
				return ret;
			rf_and_inverted(bounce, s, n);
		} else {
			rf_invert(bounce, s, n);
		}
		ret = rf_pwrite_all(img->fd, bounce, n, pos);
		if (ret)
			return ret;
	}
	return 0;
}

int rf_image_erase(const struct rf_image *img, enum rf_region region,
		   uint64_t off, size_t len)
{
	uint64_t pos = img->region_off[region] + off;
	size_t n;
	int ret;

	if (!len)
		return 0;
	/*
	 * Whole file-system blocks inside the range are freed, the partial
	 * ones at its ends are zeroed: either way they read as holes do.
	 */
	if (!fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       (off_t)pos, (off_t)len))
		return 0;
	if (errno != EOPNOTSUPP)
		return -EIO;
	/* A file system without holes: write the zeros. */
	memset(rf_bounce[0], 0, RF_CHUNK);
	for (; len; len -= n, pos += n) {
		n = len < RF_CHUNK ? len : RF_CHUNK;
		ret = rf_pwrite_all(img->fd, rf_bounce[0], n, pos);
		if (ret)
			return ret;
	}
	return 0;
}

int rf_image_copy(const struct rf_image *img, enum rf_region from,
		  enum rf_region to, uint64_t off, size_t len)
{
	size_t n;
	int ret;

	for (; len; len -= n, off += n) {
		n = len < RF_CHUNK ? len : RF_CHUNK;
		ret = rf_pread_all(img->fd, rf_bounce[0], n,
				   img->region_off[from] + off);
		if (!ret)
			ret = rf_pwrite_all(img->fd, rf_bounce[0], n,
					    img->region_off[to] + off);
		if (ret)
			return ret;
	}
	return 0;
}

int rf_image_diff_bits(const struct rf_image *img, enum rf_region a,
		       enum rf_region b, uint64_t off, size_t len,
		       uint32_t *bits)
{
	uint8_t *x = rf_bounce[0], *y = rf_bounce[1];
	uint64_t u, v;
	size_t n, i;
	int ret;

	*bits = 0;
	/* Both regions are stored inverted: stored bits differ alike. */
	for (; len; len -= n, off += n) {
		n = len < RF_CHUNK ? len : RF_CHUNK;
		ret = rf_pread_all(img->fd, x, n, img->region_off[a] + off);
		if (!ret)
			ret = rf_pread_all(img->fd, y, n,
					   img->region_off[b] + off);
		if (ret)
			return ret;
		for (i = 0; i + sizeof(u) <= n; i += sizeof(u)) {
			memcpy(&u, x + i, sizeof(u));
			memcpy(&v, y + i, sizeof(v));
			*bits += (uint32_t)__builtin_popcountll(u ^ v);
		}
		for (; i < n; i++)
			*bits += (uint32_t)__builtin_popcount(x[i] ^ y[i]);
	}
	return 0;
}

uint64_t rf_image_allocated(const struct rf_image *img)
{
	struct stat st;

	if (fstat(img->fd, &st))
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

uint64_t rf_image_allocated_in(const struct rf_image *img,
			       enum rf_region region, uint64_t off,
			       uint64_t len)
{
	off_t pos = (off_t)(img->region_off[region] + off);
	off_t end = pos + (off_t)len, data, hole;
	uint64_t n = 0;

	while (pos < end) {
		data = lseek(img->fd, pos, SEEK_DATA);
		/* ENXIO: no data from pos to the end of the file. */
		if (data < 0 || data >= end)
			break;
		hole = lseek(img->fd, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		n += (uint64_t)(hole - data);
		pos = hole;
	}
	return n;
}

bool rf_image_on_tmpfs(const struct rf_image *img)
{
	struct statfs fs;

	return !fstatfs(img->fd, &fs) && fs.f_type == TMPFS_MAGIC;
}

int rf_image_sync(struct rf_image *img)
{
	if (img->anonymous || !img->map)
		return 0;
	if (msync(img->map, img->map_len, MS_SYNC) || fdatasync(img->fd))
		return -errno;
	return 0;
}

int rf_image_close(struct rf_image *img)
{
	int ret = rf_image_sync(img);

	if (img->map)
		munmap(img->map, img->map_len);
	if (img->fd >= 0)
		close(img->fd);
	img->map = NULL;
	img->fd = -1;
	return ret;
}
