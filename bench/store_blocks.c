/* Re-compresses the document store of a sift index with other zstd settings
 * and times reading it back, block by block, as a search reads hits.
 *
 * Reads every block of the given .store files (tantivy's layout: a u32
 * length, a zstd frame; each block's documents followed by their offsets),
 * re-packs the documents into blocks of BLOCK bytes as tantivy does (a
 * block closes once it passes BLOCK), compresses each block alone at LEVEL
 * with the minimum match MIN_MATCH (0: the level's own) and, if DICT is
 * not 0, a dictionary of DICT bytes trained on the first 1,000 documents as sift trains it,
 * then decompresses all blocks REPEAT times and prints the fastest pass.
 *
 * Built and run by bench/store_blocks.py. */
#define ZSTD_STATIC_LINKING_ONLY
#define ZDICT_STATIC_LINKING_ONLY
#include "zdict.h"
#include "zstd_errors.h"
#include "zstd.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { unsigned char *p; size_t n; } buf;

static buf *docs;
static size_t ndocs, capdocs;

static void *must(void *p) {
  if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
  return p;
}

static void add(buf **list, size_t *n, size_t *cap, const unsigned char *p, size_t len) {
  if (*n == *cap) { *cap = *cap ? *cap * 2 : 1024; *list = must(realloc(*list, *cap * sizeof(buf))); }
  (*list)[*n].p = must(malloc(len ? len : 1));
  memcpy((*list)[*n].p, p, len);
  (*list)[*n].n = len;
  (*n)++;
}

static void load_store(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *d = must(malloc(len));
  if (fread(d, 1, len, f) != (size_t)len) { perror(path); exit(1); }
  fclose(f);
  ZSTD_DCtx *dc = ZSTD_createDCtx();
  /* An index with a store.dict: its blocks need it (bench/store_blocks.py
   * passes its path). */
  const char *dict_path = getenv("STORE_DICT");
  if (dict_path) {
    FILE *df = fopen(dict_path, "rb");
    if (!df) { perror(dict_path); exit(1); }
    unsigned char dict[1 << 17];
    size_t dn = fread(dict, 1, sizeof dict, df);
    fclose(df);
    if (ZSTD_isError(ZSTD_DCtx_loadDictionary(dc, dict, dn))) { fprintf(stderr, "%s: not a dictionary\n", dict_path); exit(1); }
  }
  unsigned char *out = must(malloc(1 << 20));
  size_t off = 0;
  /* Blocks until the first thing that is not one: the store's index. */
  while (off + 8 < (size_t)len) {
    uint32_t size;
    memcpy(&size, d + off, 4);
    size_t frame = ZSTD_findFrameCompressedSize(d + off + 4, len - off - 4);
    if (ZSTD_isError(frame) || size == 0 || size > (1 << 20)) break;
    size_t got = ZSTD_decompressDCtx(dc, out, 1 << 20, d + off + 4, frame);
    if (ZSTD_isError(got) && ZSTD_getErrorCode(got) == ZSTD_error_dictionary_wrong) {
      fprintf(stderr, "%s: a block needs the index's store.dict\n", path);
      exit(1);
    }
    if (ZSTD_isError(got) || got != size) break;
    uint32_t count;
    memcpy(&count, out + got - 4, 4);
    size_t offsets = got - 4 * ((size_t)count + 1);
    for (uint32_t i = 0; i < count; i++) {
      uint32_t start, end = (uint32_t)offsets;
      memcpy(&start, out + offsets + 4 * i, 4);
      if (i + 1 < count) memcpy(&end, out + offsets + 4 * (i + 1), 4);
      add(&docs, &ndocs, &capdocs, out + start, end - start);
    }
    off += 4 + frame;
  }
  free(d);
  free(out);
  ZSTD_freeDCtx(dc);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: store_blocks BLOCK LEVEL MIN_MATCH DICT REPEAT FILE.store...\n");
    return 2;
  }
  size_t block = strtoul(argv[1], NULL, 10);
  int level = atoi(argv[2]), min_match = atoi(argv[3]), repeat = atoi(argv[5]);
  size_t dict_size = strtoul(argv[4], NULL, 10);
  for (int i = 6; i < argc; i++) load_store(argv[i]);

  /* Tantivy's blocks: documents, their offsets, their count. */
  buf *blocks = NULL;
  size_t nblocks = 0, capblocks = 0, raw = 0, used = 0;
  unsigned char *cur = must(malloc(1 << 20));
  uint32_t starts[8192], n = 0;
  for (size_t i = 0; i <= ndocs; i++) {
    if (i < ndocs) {
      starts[n++] = (uint32_t)used;
      memcpy(cur + used, docs[i].p, docs[i].n);
      used += docs[i].n;
    }
    if ((i == ndocs && n) || used > block || n == 8192) {
      for (uint32_t k = 0; k < n; k++) { memcpy(cur + used, &starts[k], 4); used += 4; }
      memcpy(cur + used, &n, 4);
      used += 4;
      add(&blocks, &nblocks, &capblocks, cur, used);
      raw += used;
      used = 0;
      n = 0;
    }
  }

  ZSTD_CCtx *cc = ZSTD_createCCtx();
  ZSTD_DCtx *dc = ZSTD_createDCtx();
  ZSTD_CDict *cdict = NULL;
  ZSTD_DDict *ddict = NULL;
  double trained = 0;
  if (dict_size) {
    size_t samples = ndocs < 1000 ? ndocs : 1000, total = 0;
    for (size_t i = 0; i < samples; i++) total += docs[i].n;
    unsigned char *joined = must(malloc(total));
    size_t *sizes = must(malloc(samples * sizeof(size_t)));
    for (size_t i = 0, o = 0; i < samples; o += docs[i].n, i++) {
      memcpy(joined + o, docs[i].p, docs[i].n);
      sizes[i] = docs[i].n;
    }
    void *dict = must(malloc(dict_size));
    double t0 = now();
    /* As sift trains it (src/store_dictionary.rs): fastCover, k = 200, d = 8. */
    ZDICT_fastCover_params_t params;
    memset(&params, 0, sizeof params);
    params.k = 200;
    params.d = 8;
    params.zParams.compressionLevel = level;
    dict_size = ZDICT_trainFromBuffer_fastCover(dict, dict_size, joined, sizes, (unsigned)samples, params);
    trained = now() - t0;
    if (ZDICT_isError(dict_size)) {
      fprintf(stderr, "training failed: %s\n", ZDICT_getErrorName(dict_size));
      return 1;
    }
    cdict = ZSTD_createCDict(dict, dict_size, level);
    ddict = ZSTD_createDDict(dict, dict_size);
  }

  buf *packed = must(malloc(nblocks * sizeof(buf)));
  size_t stored = 0;
  double t0 = now();
  for (size_t b = 0; b < nblocks; b++) {
    ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
    if (min_match) ZSTD_CCtx_setParameter(cc, ZSTD_c_minMatch, min_match);
    if (cdict) ZSTD_CCtx_refCDict(cc, cdict);
    size_t bound = ZSTD_compressBound(blocks[b].n);
    packed[b].p = must(malloc(bound));
    packed[b].n = ZSTD_compress2(cc, packed[b].p, bound, blocks[b].p, blocks[b].n);
    if (ZSTD_isError(packed[b].n)) { fprintf(stderr, "%s\n", ZSTD_getErrorName(packed[b].n)); return 1; }
    stored += packed[b].n + 4;
  }
  double compressing = now() - t0;

  unsigned char *out = must(malloc(1 << 20));
  double best = 1e30;
  for (int r = 0; r < repeat; r++) {
    t0 = now();
    for (size_t b = 0; b < nblocks; b++) {
      size_t got = ddict ? ZSTD_decompress_usingDDict(dc, out, 1 << 20, packed[b].p, packed[b].n, ddict)
                         : ZSTD_decompressDCtx(dc, out, 1 << 20, packed[b].p, packed[b].n);
      if (ZSTD_isError(got) || got != blocks[b].n) { fprintf(stderr, "a block did not read back\n"); return 1; }
    }
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("%zu\t%d\t%d\t%zu\t%zu\t%zu\t%.1f\t%.3f\t%.2f\t%.2f\t%.2f\n", block, level, min_match, dict_size,
         ndocs, nblocks, raw / 1e6, stored / 1e6, compressing, best / nblocks * 1e6, trained);
  return 0;
}
