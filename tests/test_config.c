/* Experiment configs: typed getters with defaults and ranges, errors that name the file, line
 * and key, unknown keys rejected, overrides, and the resolved text parsing back to the same
 * values. */
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/config.h"
#include "drumforge/train.h"

static int mentions(const char *needle) { return strstr(df_last_error(), needle) != NULL; }

int main(void) {
  df_test_begin("test_config");
  char dir[4096], path[4200];
  df_test_scratch_dir("config", dir, sizeof dir);
  snprintf(path, sizeof path, "%s/exp.ini", dir);
  const char *text =
      "; an experiment\n"
      "[model]\n"
      "d = 32\n"
      "upsample = nn   # a comment after the value\n"
      "loss = wgan     ; another comment\n"
      "\n"
      "[train]\n"
      "lr = 2e-4\n"
      "conditional = yes\n"
      "name = kicks only\n"
      "typo_key = 3\n";
  df_expect_ok(df_write_file_atomic(path, text, strlen(text)), "write config");

  df_config *cfg = NULL;
  if (!df_expect_ok(df_config_load(path, &cfg), "load")) return df_test_finish();
  long d = 0, steps = 0;
  double lr = 0;
  int cond = 0;
  const char *name = NULL;
  df_expect_ok(df_config_int(cfg, "model.d", 64, 1, 1024, &d), "int");
  df_expect_true(d == 32, "a given int is read");
  df_expect_ok(df_config_int(cfg, "train.steps", 1000, 1, 1000000, &steps), "int default");
  df_expect_true(steps == 1000, "a missing key takes its default");
  df_expect_ok(df_config_float(cfg, "train.lr", 1e-4, 0, 1, &lr), "float");
  df_expect_true(lr == 2e-4, "a float is read");
  df_expect_ok(df_config_bool(cfg, "train.conditional", 0, &cond), "bool");
  df_expect_true(cond == 1, "yes is true");
  df_expect_ok(df_config_string(cfg, "train.name", "", &name), "string");
  df_expect_true(name && !strcmp(name, "kicks only"), "strings keep inner spaces");

  static const char *const ups[] = {"zeros", "nn", NULL};
  int up = -1;
  df_expect_ok(df_config_choice(cfg, "model.upsample", "zeros", ups, &up), "choice");
  df_expect_true(up == 1, "a choice is read, with the '#' comment stripped");
  static const char *const losses[] = {"wgan-gp", "hinge", NULL};
  df_status s = df_config_choice(cfg, "model.loss", "wgan-gp", losses, &up);
  df_expect_status(s, DF_ERR_CONFIG, "a value outside the choices is an error");
  df_expect_true(mentions("exp.ini:5") && mentions("model.loss") && mentions("wgan-gp, hinge"),
                 "the choice error names file, line, key and the choices");

  s = df_config_check_unused(cfg);
  df_expect_status(s, DF_ERR_CONFIG, "an unknown key is an error");
  df_expect_true(mentions("exp.ini:11") && mentions("train.typo_key"),
                 "the unknown-key error names file, line and key");
  df_config_free(cfg);

  /* Bad values name the file, line and key. */
  df_config_parse("[optim]\nlr = fast\nbeta = 2\nbeta1 = 0.9999999\n", "bad.ini", &cfg);
  double v;
  s = df_config_float(cfg, "optim.lr", 1e-4, 0, 1, &v);
  df_expect_status(s, DF_ERR_CONFIG, "a non-number is an error");
  df_expect_true(mentions("bad.ini:2") && mentions("optim.lr") && mentions("fast"),
                 "the parse error names file, line, key and value");
  s = df_config_float(cfg, "optim.beta", 0.5, 0, 1, &v);
  df_expect_status(s, DF_ERR_CONFIG, "an out-of-range number is an error");
  df_expect_true(mentions("bad.ini:3") && mentions("outside"), "the range error says so");
  s = df_config_float(cfg, "optim.beta1", 0.5, 0, 0.999999, &v);
  df_expect_true(s == DF_ERR_CONFIG && mentions("0.9999999 is outside [0, 0.999999]"),
                 "the range error gives the value as written, not rounded into the range");
  df_config_free(cfg);

  /* Syntax errors and keys outside sections. */
  s = df_config_parse("[model\nd = 3\n", "broken.ini", &cfg);
  df_expect_status(s, DF_ERR_CONFIG, "a broken section header is an error");
  df_expect_true(mentions("broken.ini:1"), "the syntax error names the line");
  s = df_config_parse("d = 3\n", "nosection.ini", &cfg);
  df_expect_status(s, DF_ERR_CONFIG, "a key outside any section is an error");
  s = df_config_parse("[a]\nx = 1\nx = 2\n", "dup.ini", &cfg);
  df_expect_status(s, DF_ERR_CONFIG, "a repeated key is an error");
  df_expect_true(mentions("dup.ini:3") && mentions("duplicate key 'a.x' (first set on line 2)"),
                 "the repeat error names the line, the key and the first line");
  /* A later error (a second repeat) must not replace the first one by a syntax error. */
  s = df_config_parse("[a]\nx = 1\ny = 2\n[b]\nz = 0\n[a]\nx = 3\nx = 4\n", "dup2.ini", &cfg);
  df_expect_status(s, DF_ERR_CONFIG, "a key repeated in a repeated section is an error");
  df_expect_true(mentions("dup2.ini:7") && mentions("duplicate key 'a.x' (first set on line 2)"),
                 "the first repeat is reported, not a syntax error");
  /* Lines of any length: a run's config.ini records --data, and a path past ~200 characters
   * made the run, its checkpoints and exports unloadable ('syntax error'). */
  char *long_text = malloc(6000), *long_path = malloc(5000);
  memset(long_path, 'p', 4999);
  long_path[4999] = '\0';
  snprintf(long_text, 6000, "[data]\npath = /%s\n[model]\nd = 8\n", long_path);
  const char *v_text = NULL;
  if (df_expect_ok(df_config_parse(long_text, "long.ini", &cfg), "a 5000-character line is read")) {
    df_expect_ok(df_config_string(cfg, "data.path", "", &v_text), "read");
    df_expect_true(v_text && strlen(v_text) == 5000 && !strcmp(v_text + 1, long_path), "the long value is whole");
    df_expect_ok(df_config_int(cfg, "model.d", 64, 1, 1024, &d), "read");
    df_expect_true(d == 8, "the line after it is its own line");
    df_config_free(cfg);
  }
  free(long_text);
  free(long_path);
  /* Indented keys, a byte order mark, CRLF line ends, comments. An indented key was taken for
   * a continuation of the previous value ("duplicate key 'model.d'"). */
  s = df_config_parse("\xef\xbb\xbf[model]  ; the model\r\nd = 16 # sixteen\r\n  kernel = 5\r\n\tname = a;b\r\n",
                      "styles.ini", &cfg);
  if (df_expect_ok(s, "BOM, CRLF, indented keys and comments parse")) {
    long kernel = 0;
    df_expect_ok(df_config_int(cfg, "model.d", 64, 1, 1024, &d), "read d");
    df_expect_ok(df_config_int(cfg, "model.kernel", 25, 1, 63, &kernel), "read the indented key");
    df_expect_ok(df_config_string(cfg, "model.name", "", &v_text), "read name");
    df_expect_true(d == 16 && kernel == 5 && !strcmp(v_text, "a;b"), "values without comments, ';' inside kept");
    df_config_free(cfg);
  }
  s = df_config_parse("[model]\nd = 4\n  5\n", "cont.ini", &cfg);
  df_expect_status(s, DF_ERR_CONFIG, "a line without '=' is an error, not a continuation");
  df_expect_true(mentions("cont.ini:3") && mentions("syntax error"), "it names the line");
  /* A line past the limit (65533 characters) is refused naming it, never cut in two. */
  char *huge = malloc(70100);
  snprintf(huge, 70100, "[data]\nkeep = 1\npath = /");
  memset(huge + strlen(huge), 'q', 70000);
  huge[70080] = '\0';
  s = df_config_parse(huge, "huge.ini", &cfg);
  df_expect_status(s, DF_ERR_CONFIG, "a line of 70,000 characters is refused");
  df_expect_true(mentions("huge.ini:3") && mentions("longer than"), "it names the line and says why");
  /* A '#' comment in a long line ends it: the rest is not read as a line of its own. */
  snprintf(huge, 70100, "[data]\npath = /x #");
  const size_t at = strlen(huge);
  memset(huge + at, 'c', 1000);
  snprintf(huge + at + 1000, 40, " = 3\nkeep = 2\n"); /* "= 3" inside the comment */
  if (df_expect_ok(df_config_parse(huge, "comment.ini", &cfg), "a long comment after a value")) {
    long keep = 0;
    df_expect_ok(df_config_int(cfg, "data.keep", 0, 0, 9, &keep), "read the line after it");
    df_expect_ok(df_config_string(cfg, "data.path", "", &v_text), "read path");
    df_expect_true(keep == 2 && !strcmp(v_text, "/x"), "the comment is skipped whole");
    df_expect_ok(df_config_check_unused(cfg), "... its tail is no key of its own");
    df_config_free(cfg);
  }
  free(huge);
  /* Checks across keys (or against the data) name the file, line and key too. */
  df_config_parse("[model]\nd = 4\n", "cross.ini", &cfg);
  df_config_set(cfg, "model.kernel", "24", "--set");
  df_config_int(cfg, "model.latent_dim", 100, 1, 4096, &d);
  s = DF_CONFIG_FAIL(cfg, "model.d", "too small for %d", 5);
  df_expect_true(s == DF_ERR_CONFIG && mentions("cross.ini:2: model.d: too small for 5"), "a file's key: file:line: key");
  DF_CONFIG_FAIL(cfg, "model.kernel", "even");
  df_expect_true(mentions("--set: model.kernel: even"), "an override: --set: key");
  DF_CONFIG_FAIL(cfg, "model.latent_dim", "too large");
  df_expect_true(mentions("model.latent_dim = 100 (the default): too large"), "a default: key = value (the default)");
  df_config_free(cfg);
  df_loaded_model model;
  s = df_model_create("[model]\ntype = wavegan\nslice_len = 20000\n", "slice.ini", 0, NULL, 16000, DF_DEVICE_CPU,
                      &model);
  df_expect_status(s, DF_ERR_CONFIG, "a slice length other than 16384, 32768 or 65536 is refused");
  df_expect_true(mentions("slice.ini:3: model.slice_len: 20000"), "the model's own check names file, line and key");
  df_model_unload(&model);
  s = df_model_create("[model]\ntype = specvae\n[spectrogram]\nn_fft = 64\n", "fft.ini", 0, NULL, 16000,
                      DF_DEVICE_CPU, &model);
  df_expect_status(s, DF_ERR_CONFIG, "a hop (default 128) not below n_fft is refused");
  df_expect_true(mentions("fft.ini:4: spectrogram.n_fft"), "the key given is named, not the default");
  df_model_unload(&model);
  /* An odd FFT size has no Nyquist bin to drop and one frame fewer than 1 + length / hop. */
  s = df_model_create("[model]\ntype = specvae\n[spectrogram]\nn_fft = 257\nhop = 64\n", "odd.ini", 0, NULL, 16000,
                      DF_DEVICE_CPU, &model);
  df_expect_status(s, DF_ERR_CONFIG, "an odd n_fft is refused");
  df_expect_true(mentions("odd.ini:4: spectrogram.n_fft: 257 is odd"), "... naming the key, not the inverse STFT");
  df_model_unload(&model);
  /* Mel bands narrower than the FFT's bins would be constant-zero rows. */
  s = df_model_create("[model]\ntype = specvae\n[spectrogram]\nn_fft = 256\nframes = 128\nmel_bands = 112\n", "mel.ini",
                      0, NULL, 16000, DF_DEVICE_CPU, &model);
  df_expect_status(s, DF_ERR_CONFIG, "Mel bands that no frequency bin falls in are refused");
  df_expect_true(mentions("mel.ini:6: spectrogram.mel_bands: 112 bands from a 256-point FFT at 16000 Hz leave 6 empty"),
                 "the key and the number of empty bands are named");
  df_model_unload(&model);
  s = df_model_create("[model]\ntype = specvae\n[spectrogram]\nn_fft = 256\nframes = 128\nmel_bands = 80\n", "mel.ini",
                      0, NULL, 16000, DF_DEVICE_CPU, &model);
  df_expect_ok(s, "80 Mel bands from a 256-point FFT at 16 kHz are all filled");
  df_model_unload(&model);
  s = df_config_load("/nonexistent/exp.ini", &cfg);
  df_expect_status(s, DF_ERR_NOT_FOUND, "a missing file is reported");

  /* Overrides and the resolved text. */
  df_config_parse("[model]\nd = 32\n", "a.ini", &cfg);
  df_expect_ok(df_config_set_assignment(cfg, "model.d=16", "command line"), "override");
  df_expect_ok(df_config_int(cfg, "model.d", 64, 1, 1024, &d), "read override");
  df_expect_true(d == 16, "the command line overrides the file");
  df_expect_ok(df_config_float(cfg, "optim.lr", 1e-4, 0, 1, &lr), "default");
  s = df_config_set_assignment(cfg, "nodot=3", "command line");
  df_expect_status(s, DF_ERR_CONFIG, "an override without a section is an error");
  char *resolved = NULL;
  df_expect_ok(df_config_resolved_text(cfg, &resolved), "resolved text");
  df_config *again = NULL;
  df_expect_ok(df_config_parse(resolved, "resolved", &again), "resolved text parses");
  long d2 = 0;
  double lr2 = 0;
  df_expect_ok(df_config_int(again, "model.d", 64, 1, 1024, &d2), "read");
  df_expect_ok(df_config_float(again, "optim.lr", 1, 0, 1, &lr2), "read");
  df_expect_true(d2 == 16 && lr2 == lr, "the resolved text holds the final values and defaults");
  df_expect_ok(df_config_check_unused(again), "the resolved text has no unused keys");
  free(resolved);
  df_config_free(cfg);
  df_config_free(again);
  return df_test_finish();
}
