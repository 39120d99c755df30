// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash backing store: anonymous memory or a MAP_SHARED image file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"

#define RF_IMAGE_ALIGN	4096ULL

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
	uint64_t subpages = nand ? geo->size / geo->subpage_size : 0;

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
	hdr->data_off = rf_align_up(sizeof(*hdr));
	hdr->oob_off = rf_align_up(hdr->data_off + geo->size);
	hdr->meta_off = rf_align_up(hdr->oob_off + pages * geo->oob_size);
	hdr->state_off = rf_align_up(hdr->meta_off +
				     blocks * sizeof(struct rf_block_meta));
	hdr->raw_off = rf_align_up(hdr->state_off + subpages);
	hdr->shadow_off = rf_align_up(hdr->raw_off + (nand ? pages : 0));
	hdr->file_size = rf_align_up(hdr->shadow_off + (nand ? geo->size : 0));
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

static void rf_image_point(struct rf_image *img)
{
	uint8_t *base = img->map;

	img->hdr = img->map;
	img->data = base + img->hdr->data_off;
	img->oob = base + img->hdr->oob_off;
	img->meta = (struct rf_block_meta *)(base + img->hdr->meta_off);
	img->programmed = base + img->hdr->state_off;
	img->raw_written = base + img->hdr->raw_off;
	img->shadow = base + img->hdr->shadow_off;
}

/*
 * Erase a fresh (all-zero) mapping: data and OOB to 0xff; metadata, state
 * and shadow stay zero, untouched.  The header (magic last) makes the
 * store valid.
 */
static void rf_image_format(struct rf_image *img,
			    const struct rf_image_header *layout)
{
	uint8_t *base = img->map;

	memset(base + layout->data_off, 0xff,
	       layout->meta_off - layout->data_off);
	memcpy(base, layout, sizeof(*layout));
	img->created = true;
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
	if (st.st_size) {
		got = pread(img->fd, &have, sizeof(have), 0);
		if (got != (ssize_t)sizeof(have)) {
			snprintf(err, errlen, "%s is not a ramflash image",
				 path);
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
	} else if (ftruncate(img->fd, (off_t)layout->file_size)) {
		ret = -errno;
		snprintf(err, errlen, "cannot size %s: %s", path,
			 strerror(errno));
		return ret;
	}
	img->map_len = layout->file_size;
	img->map = mmap(NULL, img->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			img->fd, 0);
	if (img->map == MAP_FAILED) {
		ret = -errno;
		img->map = NULL;
		snprintf(err, errlen, "cannot map %s: %s", path,
			 strerror(errno));
		return ret;
	}
	if (!st.st_size)
		rf_image_format(img, layout);
	else
		rf_image_record(img->map, layout);
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

int rf_image_open(struct rf_image *img, const struct rf_geometry *geo,
		  const char *path, char *err, size_t errlen)
{
	struct rf_image_header layout;
	int ret;

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	rf_image_layout(&layout, geo);
	if (layout.file_size > SIZE_MAX) {
		snprintf(err, errlen, "device too large for this machine");
		return -EINVAL;
	}
	if (path) {
		ret = rf_image_open_file(img, &layout, path, err, errlen);
		if (ret) {
			rf_image_close(img);
			return ret;
		}
	} else {
		img->map_len = layout.file_size;
		img->map = mmap(NULL, img->map_len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);
		if (img->map == MAP_FAILED) {
			img->map = NULL;
			snprintf(err, errlen, "cannot allocate %" PRIu64
				 " bytes of flash", layout.file_size);
			return -ENOMEM;
		}
		rf_image_format(img, &layout);
	}
	rf_image_point(img);
	return 0;
}

int rf_image_sync(struct rf_image *img)
{
	if (img->fd < 0 || !img->map)
		return 0;
	return msync(img->map, img->map_len, MS_SYNC) ? -errno : 0;
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
