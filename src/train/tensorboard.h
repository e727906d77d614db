/* A minimal TensorBoard event-file writer (internal to the trainer): scalars and WAV audio.
 * Files are TFRecord streams of Event protocol buffers, encoded here by hand (the few fields
 * needed); TensorBoard reads them from the run folder: `tensorboard --logdir runs/`. */
#ifndef DF_TRAIN_TENSORBOARD_H
#define DF_TRAIN_TENSORBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"

typedef struct df_tb_writer df_tb_writer;

/* Creates DIR/events.out.tfevents.<unix time>.drumforge and writes the version record. */
df_status df_tb_open(const char *dir, df_tb_writer **out);
void df_tb_close(df_tb_writer *w);
df_status df_tb_scalar(df_tb_writer *w, int64_t step, const char *tag, float value);
/* wav: the bytes of a WAV file (content type audio/wav). */
df_status df_tb_audio(df_tb_writer *w, int64_t step, const char *tag, const void *wav, size_t len,
                      float sample_rate, int channels, int64_t frames);
/* Flushes to the file (the trainer calls it after each logged step). */
df_status df_tb_flush(df_tb_writer *w);

/* Drops the records past `step` from the event files drumforge wrote in dir, and a partial
 * record a killed writer left at the end (each file rewritten atomically when it changes):
 * a resumed or rolled-back run logs those steps again. w (or NULL): a writer open on a file
 * of dir, which goes on appending to the trimmed file. */
df_status df_tb_trim(const char *dir, int64_t step, df_tb_writer *w);
/* CRC-32C (Castagnoli), as TFRecord uses; exposed for tests. */
uint32_t df_crc32c(uint32_t crc, const void *data, size_t len);

#endif
