// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ramflash chip picture: erase counts as an SVG heat map, plain stdio.
 *
 * A cell is one <rect> whose colour comes from a CSS class (a heat level
 * or a bad-block reason), so it costs about 60 bytes: a 32768-block chip
 * makes a 2 MiB file.  There is no text per block, only a label every few
 * rows.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "svg.h"

/* Heat levels from the fewest erases to the most: ColorBrewer's YlOrRd. */
static const char *const rf_svg_heat[] = {
	"#ffffcc", "#ffeda0", "#fed976", "#feb24c",
	"#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026",
};

#define RF_SVG_LEVELS	(sizeof(rf_svg_heat) / sizeof(rf_svg_heat[0]))

/* Bad blocks, in colours away from the heat scale. */
static const struct {
	enum rf_bad_reason reason;
	const char *colour;
	const char *label;
} rf_svg_bad[] = {
	{ RF_BLOCK_FACTORY_BAD, "#737373", "factory bad" },
	{ RF_BLOCK_MARKED_BAD, "#000000", "marked bad" },
	{ RF_BLOCK_WORN_OUT, "#2166ac", "worn out (--endurance)" },
};

#define RF_SVG_BAD_KINDS	(sizeof(rf_svg_bad) / sizeof(rf_svg_bad[0]))

/*
 * Sizes in pixels.  The grid aims at RF_SVG_GRID_WIDTH; cells stay
 * between RF_SVG_MIN_CELL (visible) and RF_SVG_MAX_CELL (a small chip is
 * not a poster).
 */
#define RF_SVG_GRID_WIDTH	768U
#define RF_SVG_MIN_CELL		6U
#define RF_SVG_MAX_CELL		32U
#define RF_SVG_MARGIN		16U
#define RF_SVG_LABELS		48U	/* room for the row labels */
#define RF_SVG_MIN_WIDTH	640U	/* the legend's width */
#define RF_SVG_HEADER		124U	/* title and legend */
#define RF_SVG_FOOTER		32U
#define RF_SVG_LABEL_GAP	14U	/* row labels at least this far apart */

struct rf_svg_layout {
	unsigned int cols, rows, cell, label_every;
	unsigned int width, height;
};

/*
 * Columns: the smallest power of two whose square holds every block (a
 * square picture; row starts are round numbers), capped so that a large
 * chip grows downwards.
 */
static void rf_svg_layout(uint64_t blocks, struct rf_svg_layout *l)
{
	unsigned int grid;

	l->cols = 1;
	while (l->cols < RF_SVG_MAX_COLS && (uint64_t)l->cols * l->cols < blocks)
		l->cols *= 2;
	l->rows = (unsigned int)((blocks + l->cols - 1) / l->cols);
	l->cell = RF_SVG_GRID_WIDTH / l->cols;
	if (l->cell < RF_SVG_MIN_CELL)
		l->cell = RF_SVG_MIN_CELL;
	if (l->cell > RF_SVG_MAX_CELL)
		l->cell = RF_SVG_MAX_CELL;
	l->label_every = 1;
	while (l->label_every * l->cell < RF_SVG_LABEL_GAP)
		l->label_every *= 2;
	grid = RF_SVG_MARGIN + RF_SVG_LABELS + l->cols * l->cell + RF_SVG_MARGIN;
	l->width = grid > RF_SVG_MIN_WIDTH ? grid : RF_SVG_MIN_WIDTH;
	l->height = RF_SVG_HEADER + l->rows * l->cell + RF_SVG_FOOTER;
}

/* The heat level of @ec: min is 0, max the last, nearest in between. */
static unsigned int rf_svg_level(const struct rf_wear *w, uint32_t ec)
{
	uint64_t span = w->max - w->min;

	if (!span)
		return 0;
	return (unsigned int)(((uint64_t)(ec - w->min) * (RF_SVG_LEVELS - 1) +
			       span / 2) / span);
}

/*
 * The length of the UTF-8 sequence at @s if it encodes a character XML
 * allows (the caller handles ASCII), else 0.
 */
static size_t rf_utf8_len(const unsigned char *s)
{
	uint32_t cp, min;
	size_t len, i;

	/* The lead byte: the length, the first bits, the shortest form. */
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	/* A NUL is no continuation byte: the string's end stops the loop. */
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/*
 * @text as XML character data: markup characters escaped, control
 * characters and invalid UTF-8 (a name is any bytes) as '?', so the
 * file stays well-formed whatever the user named the device.
 */
static void rf_svg_text(FILE *out, const char *text)
{
	static const char markup[] = "&<>\"'";
	static const char *const entities[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
	};
	const unsigned char *s = (const unsigned char *)text;
	const char *m;
	size_t len;

	while (*s) {
		m = strchr(markup, *s);
		len = *s < 0x80 ? 1 : rf_utf8_len(s);
		if (m)
			fputs(entities[m - markup], out);
		else if (*s < 0x20 || !len)
			fputc('?', out);
		else
			fwrite(s, 1, len, out);
		s += len ? len : 1;
	}
}

/* @bytes in the largest binary unit that divides it. */
static void rf_svg_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
	unsigned int u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes &&
	       !(bytes % 1024)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", bytes, units[u]);
}

static void rf_svg_header(FILE *out, const struct rf_svg_layout *l,
			  const struct rf_geometry *geo, const char *name,
			  uint64_t blocks)
{
	char size[32], block[32], page[32];
	unsigned int i;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\">\n<title>",
		l->width, l->height, l->width, l->height);
	rf_svg_text(out, name);
	fputs(": erase count per eraseblock</title>\n<style>\n"
	      "text { font-family: sans-serif; font-size: 12px; fill: #222 }\n"
	      ".title { font-size: 16px; font-weight: bold }\n"
	      ".row { font-size: 10px; fill: #666; text-anchor: end }\n", out);
	for (i = 0; i < RF_SVG_LEVELS; i++)
		fprintf(out, ".h%u { fill: %s }\n", i, rf_svg_heat[i]);
	for (i = 0; i < RF_SVG_BAD_KINDS; i++)
		fprintf(out, ".%s { fill: %s }\n",
			rf_bad_reason_name(rf_svg_bad[i].reason),
			rf_svg_bad[i].colour);
	fprintf(out, "</style>\n<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"#fff\"/>\n<text class=\"title\" x=\"%u\" y=\"26\">",
		RF_SVG_MARGIN);
	rf_svg_text(out, name);
	rf_svg_size(size, sizeof(size), geo->size);
	rf_svg_size(block, sizeof(block), geo->erase_size);
	fprintf(out, ": erase count per eraseblock</text>\n"
		"<text x=\"%u\" y=\"46\">%s, %s: %" PRIu64 " eraseblocks of %s",
		RF_SVG_MARGIN, rf_type_name(geo->type), size, blocks, block);
	if (rf_type_is_nand(geo->type)) {
		rf_svg_size(page, sizeof(page), geo->page_size);
		fprintf(out, ", %s pages, %" PRIu32 " B OOB", page,
			geo->oob_size);
	}
	fputs("</text>\n", out);
}

/* The wear line, the colour scale and the bad blocks per reason. */
static void rf_svg_legend(FILE *out, const struct rf_wear *w)
{
	const unsigned int scale_x = RF_SVG_MARGIN + 80, swatch = 24;
	uint64_t count, b;
	unsigned int i, x;

	fprintf(out, "<text id=\"legend-wear\" x=\"%u\" y=\"66\">erase count: "
		"min %" PRIu32 ", avg %.2f, max %" PRIu32 " (%" PRIu64
		" erases in all)</text>\n", RF_SVG_MARGIN, w->min,
		(double)w->total / (double)w->blocks, w->max, w->total);
	fprintf(out, "<text x=\"%u\" y=\"88\" text-anchor=\"end\">%" PRIu32
		"</text>\n", scale_x - 6, w->min);
	for (i = 0; i < RF_SVG_LEVELS; i++)
		fprintf(out, "<rect class=\"h%u\" x=\"%u\" y=\"77\" width=\"%u\" "
			"height=\"14\" stroke=\"#999\"/>\n", i,
			scale_x + i * swatch, swatch);
	fprintf(out, "<text x=\"%u\" y=\"88\">%" PRIu32 "</text>\n",
		scale_x + (unsigned int)RF_SVG_LEVELS * swatch + 6, w->max);
	for (i = 0; i < RF_SVG_BAD_KINDS; i++) {
		for (count = 0, b = 0; b < w->blocks; b++)
			count += w->reasons[b] == rf_svg_bad[i].reason;
		x = RF_SVG_MARGIN + i * 200;
		fprintf(out, "<rect class=\"%s\" x=\"%u\" y=\"99\" width=\"14\" "
			"height=\"14\"/>\n<text x=\"%u\" y=\"110\">%s: %" PRIu64
			"</text>\n", rf_bad_reason_name(rf_svg_bad[i].reason),
			x, x + 20, rf_svg_bad[i].label, count);
	}
}

int rf_svg_write(const struct rf_wear *w, const struct rf_geometry *geo,
		 const char *name, FILE *out)
{
	struct rf_svg_layout l;
	unsigned int x, y, size;
	char cls[32];
	uint64_t b;

	rf_svg_layout(w->blocks, &l);
	rf_svg_header(out, &l, geo, name, w->blocks);
	rf_svg_legend(out, w);
	/* Large cells get a white gap, so neighbours of one colour part. */
	size = l.cell >= 10 ? l.cell - 1 : l.cell;
	fputs("<g id=\"blocks\">\n", out);
	for (b = 0; b < w->blocks; b++) {
		x = RF_SVG_MARGIN + RF_SVG_LABELS + (unsigned int)(b % l.cols) * l.cell;
		y = RF_SVG_HEADER + (unsigned int)(b / l.cols) * l.cell;
		if (!(b % l.cols) && !((b / l.cols) % l.label_every))
			fprintf(out, "<text class=\"row\" x=\"%u\" y=\"%u\">%"
				PRIu64 "</text>\n", x - 4, y + l.cell - 1, b);
		if (w->reasons[b] == RF_BLOCK_GOOD)
			snprintf(cls, sizeof(cls), "h%u",
				 rf_svg_level(w, w->erase_counts[b]));
		else
			snprintf(cls, sizeof(cls), "bad %s",
				 rf_bad_reason_name(w->reasons[b]));
		fprintf(out, "<rect class=\"block %s\" x=\"%u\" y=\"%u\" "
			"width=\"%u\" height=\"%u\"/>\n", cls, x, y, size, size);
	}
	fprintf(out, "</g>\n<text x=\"%u\" y=\"%u\">Block n is in row n / %u, "
		"column n %% %u; a row's label is its first block.</text>\n"
		"</svg>\n", RF_SVG_MARGIN, l.height - 12, l.cols, l.cols);
	return ferror(out) ? -EIO : 0;
}

struct rf_svg_job {
	const struct rf_wear *wear;
	const struct rf_geometry *geo;
	const char *name;
};

static int rf_svg_report(void *arg, FILE *out)
{
	const struct rf_svg_job *job = arg;

	return rf_svg_write(job->wear, job->geo, job->name, out);
}

int rf_svg_save(struct rf_sim *sim, const char *name, const char *path)
{
	struct rf_wear w;
	struct rf_svg_job job = {
		.wear = &w, .geo = rf_sim_geometry(sim), .name = name,
	};
	int ret = rf_wear_take(sim, &w);

	if (ret)
		return ret;
	ret = rf_report_save(path, rf_svg_report, &job);
	rf_wear_free(&w);
	return ret;
}
